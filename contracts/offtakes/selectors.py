"""Reads of offtake contracts and their delivery schedules that have rules. Every function that
takes the acting user scopes to what that user may see; anything else raises Http404, exactly like
something missing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    SUPPLY_STATES,
    Delivery,
    OfftakeContract,
    ScheduleEntry,
)


def origin_expression():
    """The country a contract's volume comes from: its agency project's country where it is
    linked to a project, else the counterparty's (docs/supply-security.md, "Contracted supply").
    For queries over schedule entries; the one home of this rule."""
    return Coalesce("contract__project__country", "contract__counterparty__country")


def scheduled_supply():
    """Schedule entries that count as contracted supply (positive tonnes of signed and active
    contracts), each annotated with ``origin`` (``origin_expression``). Not scoped to a user:
    callers show shares, or tonnes only to those who may see them."""
    return ScheduleEntry.objects.filter(
        contract__state__in=SUPPLY_STATES, quantity_t__gt=0
    ).annotate(origin=origin_expression())


def contract_get(*, user, pk) -> OfftakeContract:
    return get_visible_or_404(policy.contracts_visible_to(user), pk=pk)


def contract_book(
    *, user, state: str = "", material: str = "", counterparty: str = "", search: str = ""
):
    qs = policy.contracts_visible_to(user).annotate(
        scheduled_t=Sum("schedule__quantity_t"),
    )
    if state:
        qs = qs.filter(state=state)
    if material:
        qs = qs.filter(material__code=material)
    if counterparty:
        qs = qs.filter(counterparty_id=counterparty) if str(counterparty).isdigit() else qs.none()
    if search:
        qs = qs.filter(
            Q(reference__icontains=search)
            | Q(counterparty__name__icontains=search)
            | Q(grade__icontains=search)
        )
    return qs.order_by("-signed_on", "reference")


def schedule_rows(contract: OfftakeContract, *, today: datetime.date | None = None) -> list[dict]:
    """Each scheduled quarter with what was delivered and its status on ``today``."""
    from ..schedule import bounds, status

    today = today or timezone.localdate()
    delivered = dict(
        Delivery.objects.filter(contract=contract)
        .values("quarter")
        .annotate(t=Sum("quantity_t"))
        .values_list("quarter", "t")
    )
    rows = []
    for entry in ScheduleEntry.objects.filter(contract=contract).order_by("quarter"):
        got = delivered.get(entry.quarter) or Decimal(0)
        low, high = bounds(entry.quantity_t, contract.tolerance_pct)
        rows.append(
            {
                "entry": entry,
                "quarter": entry.quarter,
                "period": entry.period,
                "scheduled_t": entry.quantity_t,
                "delivered_t": got,
                "low_t": low,
                "high_t": high,
                "open_t": max(entry.quantity_t - got, Decimal(0)),
                "status": status(
                    entry.quarter, entry.quantity_t, got, contract.tolerance_pct, today
                ),
            }
        )
    return rows
