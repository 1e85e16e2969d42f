"""Reads of rounds and lines with their rules. Every function takes the acting user; an object the
user may not see raises Http404, exactly like one that does not exist.

Who sees what (docs/roles-and-visibility.md): the desk sees every round and every line (trustee);
a member sees the rounds that are not drafts and only its own firm's lines; agency and ministry see
rounds that are not drafts and no line at all.
"""

from __future__ import annotations

from rohstoff.core.models import User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    DemandRound,
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
