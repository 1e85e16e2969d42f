"""Reads of counterparties (the suppliers the trading house contracts with) that have rules. Every function that takes the acting user scopes
to what that user may see; anything else raises Http404, exactly like something missing."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from ..models import (
    Counterparty,
)
from ..offtakes.selectors import _reads_contracts


def counterparties_visible_to(user) -> QuerySet[Counterparty]:
    if not _reads_contracts(user):
        return Counterparty.objects.none()
    return Counterparty.objects.annotate(contract_count=Count("contracts"))


def counterparty_get(*, user, pk) -> Counterparty:
    try:
        return counterparties_visible_to(user).get(pk=pk)
    except (Counterparty.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
