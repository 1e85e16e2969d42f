"""Reads of uploaded demand files: a member sees only its own firm's uploads."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from rohstoff.core.models import User

from ..models import (
    DemandRound,
    DemandUpload,
)


def upload_get(*, user: User, round: DemandRound, pk) -> DemandUpload:
    if not (user.is_member and user.organisation_id):
        raise Http404
    try:
        return DemandUpload.objects.get(pk=pk, round=round, organisation_id=user.organisation_id)
    except (DemandUpload.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
