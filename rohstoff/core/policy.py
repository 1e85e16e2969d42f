"""Who may see and do what with the shared kernel's objects (colleagues, invitations, API tokens,
jobs, the audit log): the one place in core that reads a user's role. Selectors, services, forms
and views ask this module; templates ask ``can.core.<flag>`` (:func:`capabilities`, registered in
``CoreConfig.ready()``).

The rules (docs/roles-and-visibility.md): staff admins manage people of every organisation, read
the audit log and see every job; a member administrator manages the members of its own firm; the
trading desk, which runs the platform's jobs, sees every job; everyone sees its own tokens and the
jobs it started.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import ApiToken, Invitation, Job, Organisation, Role, User

# The roles a member administrator may give, invite or remove (its own firm's people).
MANAGED_BY_MEMBER_ADMINS = frozenset({Role.MEMBER, Role.MEMBER_ADMIN})


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def manages_every_organisation(user) -> bool:
    """Invites, removes and revokes for people of any organisation: staff admins."""
    return _signed_in(user) and bool(user.is_staff)


def manages_own_firm(user) -> bool:
    """Invites, removes and revokes for colleagues of its own firm: a member administrator."""
    return _signed_in(user) and user.role == Role.MEMBER_ADMIN and bool(user.organisation_id)


def manages_team(user) -> bool:
    return manages_every_organisation(user) or manages_own_firm(user)


def may_manage(actor, organisation: Organisation, role: str | None = None) -> bool:
    """``actor`` may invite into, remove from or revoke tokens in ``organisation`` (for a person
    of ``role``, when given)."""
    if manages_every_organisation(actor):
        return True
    return (
        manages_own_firm(actor)
        and actor.organisation_id == organisation.pk
        and (role is None or role in MANAGED_BY_MEMBER_ADMINS)
    )


def reads_audit_log(user) -> bool:
    return manages_every_organisation(user)


def sees_every_job(user) -> bool:
    """The trading desk runs the platform's jobs; staff admins look after them."""
    return _signed_in(user) and (user.role == Role.TRADING_DESK or bool(user.is_staff))


def capabilities(user) -> dict[str, bool]:
    """``can.core.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "manage_team": manages_team(user),
        "manage_every_organisation": manages_every_organisation(user),
        "read_audit_log": reads_audit_log(user),
        "see_every_job": sees_every_job(user),
    }


# ---- scoped querysets: what a user may see -------------------------------------------------


def colleagues_visible_to(user) -> QuerySet[User]:
    """People a user may manage: staff admins everyone, a member administrator its own firm."""
    qs = User.objects.select_related("organisation")
    if manages_every_organisation(user):
        return qs
    if manages_own_firm(user):
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def invitations_visible_to(user) -> QuerySet[Invitation]:
    """Invitations (all states; the selectors narrow to pending ones) the user may manage."""
    qs = Invitation.objects.select_related("organisation", "invited_by")
    if manages_every_organisation(user):
        return qs
    if manages_own_firm(user):
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def tokens_visible_to(user) -> QuerySet[ApiToken]:
    """A user's own tokens, plus those of the people the user manages."""
    if not _signed_in(user):
        return ApiToken.objects.none()
    managed = colleagues_visible_to(user).values("pk")
    return ApiToken.objects.select_related("user").filter(Q(user=user) | Q(user__in=managed))


def jobs_visible_to(user) -> QuerySet[Job]:
    """Whoever started a job sees it; the desk and staff admins see all."""
    if sees_every_job(user):
        return Job.objects.all()
    if not _signed_in(user):
        return Job.objects.none()
    return Job.objects.filter(created_by=user)
