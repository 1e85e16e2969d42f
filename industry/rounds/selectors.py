"""Reads of rounds and lines with their rules. Every function takes the acting user; an object the
user may not see raises Http404, exactly like one that does not exist.

Who sees what (docs/roles-and-visibility.md): the desk sees every round and every line (trustee);
a member sees the rounds that are not drafts and only its own firm's lines; agency and ministry see
rounds that are not drafts and no line at all.
"""

from __future__ import annotations

import datetime

from rohstoff.core.models import AuditEvent, User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    DemandRound,
    RoundState,
    TermsAcceptance,
)


def round_get(*, user: User, pk) -> DemandRound:
    return get_visible_or_404(policy.rounds_visible_to(user), pk=pk)


def terms_accepted(*, user: User, round: DemandRound) -> TermsAcceptance | None:
    if not policy.may_enter_demand(user):
        return None
    return (
        TermsAcceptance.objects.filter(round=round, organisation_id=user.organisation_id)
        .select_related("accepted_by")
        .first()
    )


def round_closed_at(round: DemandRound) -> datetime.datetime | None:
    """When a closed (or aggregated) round was actually closed: the time of its last ``round.close``
    audit event, by the desk or by the deadline task (docs/audit.md). None while the round
    is not closed."""
    if round.state not in (RoundState.CLOSED, RoundState.AGGREGATED):
        return None
    return (
        AuditEvent.objects.filter(
            action="round.close",
            object_type=DemandRound._meta.label_lower,
            object_id=str(round.pk),
        )
        .order_by("-seq")
        .values_list("at", flat=True)
        .first()
    )
