"""Reads of the offtake book's dashboard and the aggregate overview that have rules. Every function
that takes the acting user scopes to what that user may see; anything else raises Http404, exactly
like something missing."""

from __future__ import annotations

from django.db.models import Count, Sum

from tradinghouse import selectors as position_selectors

from .. import policy
from ..models import (
    SUPPLY_STATES,
    Allocation,
    AllocationState,
    ScheduleEntry,
)


def book_by_counterparty(*, user) -> list[dict]:
    """Scheduled tonnes of live contracts (signed, active) per counterparty and material."""
    if not policy.reads_contracts(user):
        return []
    rows = (
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__counterparty__name",
            "contract__counterparty__country",
            "contract__material_id",
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__counterparty__name", "contract__material__code")
    )
    return list(rows)


def book_by_country(*, user) -> list[dict]:
    """Scheduled tonnes of live contracts per country of the counterparty and material; the
    ministry may read this (an aggregate, no contract or counterparty)."""
    if not policy.reads_book_totals(user):
        return []
    rows = (
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__counterparty__country",
            "contract__material_id",
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__counterparty__country", "contract__material__code")
    )
    return list(rows)


def book_by_material_quarter(*, user) -> list[dict]:
    """Contracted tonnes per material and quarter over all live contracts (ministry: aggregates)."""
    if not policy.reads_book_totals(user):
        return []
    return list(
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__material_id",
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
            "contract__material__sort_order",
            "quarter",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__material__sort_order", "contract__material__code", "quarter")
    )


def confirmed_allocations_by_material(*, user) -> list[dict]:
    """Confirmed tonnes allocated to member firms per material over all live contracts, for the
    offtake overview (ministry: aggregates). Allocations follow firm demand, so tradinghouse
    decides each total by the disclosure rule of a position cell (``firm_total``): for a reader
    who may not see a withheld total its ``tonnes`` and ``firms`` are None."""
    if not policy.reads_book_totals(user):
        return []
    per_firm = (
        Allocation.objects.filter(
            state=AllocationState.CONFIRMED, contract__state__in=SUPPLY_STATES
        )
        .values_list(
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
            "organisation_id",
        )
        .annotate(tonnes=Sum("quantity_t"))
        .order_by("contract__material__code")
    )
    by_material: dict[str, dict] = {}
    for code, name_de, name_en, _org, tonnes in per_firm:
        row = by_material.setdefault(
            code,
            {
                "contract__material__code": code,
                "contract__material__name_de": name_de,
                "contract__material__name_en": name_en,
                "per_firm": [],
            },
        )
        row["per_firm"].append(tonnes)
    rows = []
    for row in by_material.values():
        total = position_selectors.firm_total(user=user, per_firm=row.pop("per_firm"))
        rows.append(
            {
                **row,
                "disclosed": total.disclosed,
                "tonnes": total.total_t,
                "firms": total.contributors,
            }
        )
    return rows
