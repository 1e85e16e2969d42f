"""Reads of uploaded demand files: a member sees only its own firm's uploads."""

from __future__ import annotations

from django.http import Http404

from rohstoff.core.models import User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    DemandRound,
    DemandUpload,
)


def upload_get(*, user: User, round: DemandRound, pk) -> DemandUpload:
    if not policy.may_enter_demand(user):
        raise Http404
    return get_visible_or_404(
        DemandUpload.objects.filter(round=round, organisation_id=user.organisation_id), pk=pk
    )
