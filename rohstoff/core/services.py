"""Writes of the shared kernel: users, invitations, API tokens, materials, feedback."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import policy
from .api_auth import token_digest
from .audit import audit_record
from .mail import mail_enqueue
from .models import (
    ROLES_BY_KIND,
    AccessibilityFeedback,
    ApiToken,
    Invitation,
    Organisation,
    Role,
    User,
)


def _check_role_fits(organisation: Organisation, role: str) -> None:
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError(
            {
                "role": _("The role %(role)s does not exist in a %(kind)s.")
                % {"role": Role(role).label, "kind": organisation.get_kind_display()}
            }
        )


def _may_manage(actor: User, organisation: Organisation, role: str | None = None) -> bool:
    """Staff admins manage everyone; a member administrator its own firm's members (policy)."""
    return policy.may_manage(actor, organisation, role)


@transaction.atomic
def organisation_get_or_create(
    *, name: str, kind: str, country: str = "DE", actor=None
) -> tuple[Organisation, bool]:
    organisation, created = Organisation.objects.get_or_create(
        name=name, defaults={"kind": kind, "country": country}
    )
    if not created and organisation.kind != kind:
        raise ValidationError(
            _("%(name)s exists already as a %(kind)s.")
            % {"name": name, "kind": organisation.get_kind_display()}
        )
    if created:
        audit_record(
            actor=actor,
            action="organisation.create",
            obj=organisation,
            after={"name": name, "kind": kind, "country": country},
        )
    return organisation, created


@transaction.atomic
def user_create(
    *,
    email: str,
    organisation: Organisation | None,
    role: str,
    password: str | None = None,
    full_name: str = "",
    is_staff: bool = False,
    actor=None,
) -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address exists already.")})
    if role:
        if organisation is None:
            raise ValidationError(
                {"organisation": _("A user with a role belongs to an organisation.")}
            )
        _check_role_fits(organisation, role)
    user = User(
        email=email, organisation=organisation, role=role, full_name=full_name, is_staff=is_staff
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        organisation=organisation,
        after={
            "email": email,
            "organisation": getattr(organisation, "pk", None),
            "role": role,
            "is_staff": is_staff,
        },
    )
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> User:
    """Remove a colleague: the account is deactivated (kept for the audit trail) and its tokens
    are revoked."""
    if user.organisation is None or not _may_manage(actor, user.organisation, user.role):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot remove yourself."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    audit_record(
        actor=actor,
        action="user.deactivate",
        obj=user,
        organisation=user.organisation,
        before={"is_active": True},
        after={"is_active": False},
    )
    return user


def user_set_language(*, user: User, language: str) -> User:
    """Save ``language`` (one of ``settings.LANGUAGES``) as the language ``user`` reads mail in."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Select a valid language.")})
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return user


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def invitation_create(
    *, actor: User, email: str, organisation: Organisation, role: str, full_name: str = ""
) -> tuple[Invitation, str]:
    """Invite a person; returns the invitation and the link (sent by e-mail, shown nowhere else).

    A member administrator inviting an address that has an account already gets the same answer
    and the same pending invitation as for a new address, so the team page does not reveal who
    has an account (docs/security.md); the link is not sent, the account holder gets a note
    instead, and the invitation cannot be accepted. Staff admins, who see every account anyway,
    are told.
    """
    email = email.strip().lower()
    if not _may_manage(actor, organisation, role):
        raise PermissionDenied
    _check_role_fits(organisation, role)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and policy.manages_every_organisation(actor):
        raise ValidationError({"email": _("A user with this e-mail address exists already.")})
    # A new invitation replaces the organisation's pending one for the same address; another
    # firm's invitation is not this firm's to withdraw.
    Invitation.objects.filter(
        email=email, organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name,
        organisation=organisation,
        role=role,
        digest=token_digest(_new_secret()),  # unique placeholder until the key is known
        invited_by=actor,
        expires_at=timezone.now() + datetime.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.digest = token_digest(invitation.key())
    invitation.save(update_fields=["digest"])
    link = invitation.accept_url
    audit_record(
        actor=actor,
        action="invitation.create",
        obj=invitation,
        organisation=organisation,
        after={"email": email, "role": role, "existing_account": existing is not None},
    )
    if existing is None:
        mail_enqueue(
            template="core/email/invitation",
            to=[email],
            context={"invitation": invitation, "valid_days": settings.INVITATION_VALID_DAYS},
        )
    elif existing.is_active:
        mail_enqueue(
            template="core/email/invitation_existing_account",
            to=[existing],
            context={"invitation": invitation},
        )
    # A removed account: nobody to tell.
    return invitation, link


def invitation_by_key(key: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organisation").filter(digest=token_digest(key)).first()
    )
    return invitation if invitation and invitation.is_pending else None


@transaction.atomic
def invitation_accept(*, key: str, password: str, full_name: str = "") -> User:
    """Create the invited person's account with the password they chose. The invitation is
    locked first, so a link used twice at once creates one account."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "invited_by")
        .filter(digest=token_digest(key))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
    user = user_create(
        email=invitation.email,
        organisation=invitation.organisation,
        role=invitation.role,
        password=password,
        full_name=full_name or invitation.full_name,
        actor=invitation.invited_by,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=user,
        action="invitation.accept",
        obj=invitation,
        organisation=invitation.organisation,
        after={"user": user.pk, "role": invitation.role},
    )
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    if not _may_manage(actor, invitation.organisation, invitation.role):
        raise PermissionDenied
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="invitation.revoke",
        obj=invitation,
        organisation=invitation.organisation,
    )


@transaction.atomic
def api_token_create(*, user: User, name: str, actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``. Returns the token and its key; the key is stored only as a
    digest and cannot be shown again."""
    if not user.is_active:
        raise ValidationError(_("The user is not active."))
    key = _new_secret()
    token = ApiToken.objects.create(
        user=user, name=(name or _("API token"))[:100], prefix=key[:8], digest=token_digest(key)
    )
    audit_record(
        actor=actor or user,
        action="api_token.create",
        obj=token,
        organisation=user.organisation,
        after={"user": user.pk, "name": token.name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    own = token.user_id == actor.pk
    if not own and not (
        token.user.organisation and _may_manage(actor, token.user.organisation, token.user.role)
    ):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            organisation=token.user.organisation,
            after={"user": token.user_id, "prefix": token.prefix},
        )
    return token


@transaction.atomic
def feedback_submit(
    *, message: str, contact: str, page_url: str, user=None
) -> AccessibilityFeedback:
    feedback = AccessibilityFeedback.objects.create(
        message=message,
        contact=contact,
        page_url=page_url[:500],
        user=user if user and user.is_authenticated else None,
    )
    mail_enqueue(
        template="core/email/accessibility_feedback",
        to=[settings.ACCESSIBILITY_CONTACT_EMAIL],
        context={"feedback": feedback},
    )
    return feedback
