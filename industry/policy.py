"""Who may see and do what in industry: the one place in the app that reads a user's role.

* Rounds: the desk sees every round, drafts included; members, agency and ministry see every round
  that is not a draft; anyone else (anonymous, no role) sees none.
* Lines: the desk sees every line of a round (as trustee); a member sees its own firm's lines;
  everyone else sees none.
* Reported contracts (docs/reported-contracts.md): a member sees, reports, changes and deletes its
  own firm's; nobody else sees them one by one (the desk sees their effect in the positions).
* ``capabilities(user)`` states the same for templates (``can.industry.<flag>``, registered in
  ``IndustryConfig.ready()``). Flags that depend on one round's state (may it be closed now?) are
  computed by the view. See docs/architecture.md, "Access policy".
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import DemandLine, DemandRound, ReportedContract, RoundState


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def may_manage_rounds(user) -> bool:
    """Create, edit, open, close and reopen rounds; sees drafts."""
    return _signed_in(user) and user.is_desk


def may_enter_demand(user) -> bool:
    """Accept a round's terms and enter, change, withdraw and upload the own firm's lines."""
    return _signed_in(user) and user.is_member and bool(user.organisation_id)


def may_screen_lines(user) -> bool:
    """See every firm's lines (trustee), exclude and restore them."""
    return _signed_in(user) and user.is_desk


def may_report_contracts(user) -> bool:
    """Report, change and delete the own firm's contracts concluded outside the platform."""
    return may_enter_demand(user)


def may_read_rounds(user) -> bool:
    return _signed_in(user) and (
        user.is_desk or user.is_member or user.is_agency or user.is_ministry
    )


def capabilities(user) -> dict[str, bool]:
    return {
        "read_rounds": may_read_rounds(user),
        "create_rounds": may_manage_rounds(user),
        "manage_rounds": may_manage_rounds(user),
        "see_drafts": may_manage_rounds(user),
        "enter_demand": may_enter_demand(user),
        "screen_lines": may_screen_lines(user),
    }


def rounds_visible_to(user) -> QuerySet[DemandRound]:
    if may_manage_rounds(user):
        return DemandRound.objects.all()
    if may_read_rounds(user):
        return DemandRound.objects.exclude(state=RoundState.DRAFT)
    return DemandRound.objects.none()


def lines_visible_to(
    user, *, round: DemandRound, include_withdrawn: bool = False
) -> QuerySet[DemandLine]:
    """The desk: all lines of the round; a member: its own firm's; everyone else: none."""
    qs = DemandLine.objects.filter(round=round).select_related(
        "material", "organisation", "entered_by"
    )
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    if may_screen_lines(user):
        return qs
    if may_enter_demand(user):
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def reported_contracts_visible_to(user) -> QuerySet[ReportedContract]:
    """A member: its own firm's reported contracts; everyone else: none."""
    if may_report_contracts(user):
        return ReportedContract.objects.filter(organisation_id=user.organisation_id)
    return ReportedContract.objects.none()
