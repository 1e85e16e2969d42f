"""Reads of rounds and lines with their rules. Every function takes the acting user; an object the
user may not see raises Http404, exactly like one that does not exist.

Who sees what (DESIGN.md): the desk sees every round and every line (trustee); a member sees the
rounds that are not drafts and only its own firm's lines; agency and ministry see rounds that are
not drafts and no line at all.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from rohstoff.core.models import User

from ..models import (
    DemandRound,
    RoundState,
    TermsAcceptance,
)


def rounds_visible_to(user: User) -> QuerySet[DemandRound]:
    qs = DemandRound.objects.all()
    if user.is_desk:
        return qs
    if user.is_member or user.is_agency or user.is_ministry:
        return qs.exclude(state=RoundState.DRAFT)
    return qs.none()


def round_get(*, user: User, pk) -> DemandRound:
    try:
        return rounds_visible_to(user).get(pk=pk)
    except (DemandRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def terms_accepted(*, user: User, round: DemandRound) -> TermsAcceptance | None:
    if not (user.is_member and user.organisation_id):
        return None
    return (
        TermsAcceptance.objects.filter(round=round, organisation_id=user.organisation_id)
        .select_related("accepted_by")
        .first()
    )
