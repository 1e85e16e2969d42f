"""Reads of deliveries against a contract's schedule that have rules. Every function that takes the
acting user scopes to what that user may see; anything else raises Http404, exactly like something
missing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy, pricing
from ..models import (
    SUPPLY_STATES,
    Delivery,
    ScheduleEntry,
)


def delivery_get(*, user, pk) -> Delivery:
    return get_visible_or_404(
        policy.deliveries_visible_to(user).select_related("contract__index"), pk=pk
    )


def due_overview(*, user, today: datetime.date | None = None) -> list[dict]:
    """Scheduled quarters of live contracts that are due now, late or short on ``today``."""
    from ..schedule import bounds, status

    if not policy.reads_contracts(user):
        return []
    today = today or timezone.localdate()
    current = pricing.quarter_of(today).index
    entries = (
        ScheduleEntry.objects.filter(
            contract__state__in=SUPPLY_STATES, quarter__lte=current, quantity_t__gt=0
        )
        .select_related("contract", "contract__counterparty", "contract__material")
        .annotate(
            delivered_t=Sum(
                "contract__deliveries__quantity_t",
                filter=Q(contract__deliveries__quarter=F("quarter")),
            )
        )
        .order_by("quarter", "contract__reference")
    )
    rows = []
    for entry in entries:
        got = entry.delivered_t or Decimal(0)
        state = status(entry.quarter, entry.quantity_t, got, entry.contract.tolerance_pct, today)
        if state in ("due", "late", "short"):
            low, _high = bounds(entry.quantity_t, entry.contract.tolerance_pct)
            rows.append(
                {
                    "entry": entry,
                    "contract": entry.contract,
                    "period": entry.period,
                    "scheduled_t": entry.quantity_t,
                    "delivered_t": got,
                    "low_t": low,
                    "missing_t": max(low - got, Decimal(0)),
                    "status": state,
                }
            )
    return rows
