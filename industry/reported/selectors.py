"""Reads of reported contracts: a member its own firm's, nobody else any (404)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from rohstoff.core.models import User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import ReportedContract, ReportedQuarter


def reported_contracts(*, user: User) -> QuerySet[ReportedContract]:
    """The user's firm's reported contracts with material and quarters: three queries."""
    return (
        policy.reported_contracts_visible_to(user)
        .select_related("material", "reported_by")
        .prefetch_related(
            Prefetch("quarters", queryset=ReportedQuarter.objects.order_by("quarter"))
        )
        .order_by("material__sort_order", "-updated_at", "-pk")
    )


def reported_contract_get(*, user: User, pk) -> ReportedContract:
    return get_visible_or_404(reported_contracts(user=user), pk=pk)


def totals_by_material(contracts) -> list[dict]:
    """Tonnes per material over the given contracts (tonnes of different materials are never
    added up), from the prefetched quarters."""
    rows: dict[int, dict] = {}
    for contract in contracts:
        row = rows.setdefault(
            contract.material_id,
            {"material": contract.material, "tonnes": Decimal(0), "quarters": defaultdict(Decimal)},
        )
        for q in contract.quarters.all():
            row["tonnes"] += q.quantity_t
            row["quarters"][q.quarter] += q.quantity_t
    return list(rows.values())
