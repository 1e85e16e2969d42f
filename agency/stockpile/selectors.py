"""Reads of the stockpile, scoped by agency.stockpile.policy. A fixed number of queries whatever
the number of materials, locations or cells; pooled demand comes from position cells only.

The agency reads tonnes and days (:func:`cover_rows`); the ministry reads :func:`band_rows`,
which carries a band and a target and nothing that gives a tonne back (docs/stockpile.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from rohstoff.core.models import Material
from rohstoff.core.shortcuts import get_visible_or_404
from tradinghouse.models import PositionCell, PositionSet

from . import cover, policy
from .models import (
    Holding,
    Location,
    MaterialTarget,
    Movement,
    MovementKind,
    MovementState,
    effective_target,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# ---- the latest positions --------------------------------------------------------------------


def latest_position_set() -> PositionSet | None:
    """The current position set of the latest aggregated round (the one that closed last): the
    demand that days of cover are measured against. Aggregated rounds are never drafts, so every
    reader of bands may see the round."""
    return (
        PositionSet.objects.filter(is_current=True)
        .select_related("round")
        .order_by("-round__closes_at", "-round__pk")
        .first()
    )


def demand_ahead(
    position_set: PositionSet | None, today: datetime.date
) -> tuple[list, dict[int, Decimal], int]:
    """The next four quarters that lie in the round's window, the pooled demand of each
    material over them (all cells: see docs/stockpile.md on why a band needs no disclosure
    control), and their calendar days. One query."""
    if position_set is None:
        return [], {}, 0
    round = position_set.round
    quarters = [
        q
        for q in cover.next_quarters(today)
        if round.first_quarter <= q.index <= round.last_quarter
    ]
    if not quarters:
        return [], {}, 0
    rows = (
        PositionCell.objects.filter(
            position_set=position_set, quarter__in=[q.index for q in quarters]
        )
        .values_list("material_id")
        .annotate(t=Sum("demand_t"))
        .order_by()
    )
    return quarters, dict(rows), sum(cover.days_in(q) for q in quarters)


# ---- days of cover ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialCover:
    material: Material
    holding_t: Decimal
    high_risk: bool
    target_days: int
    own_target: bool
    demand_t: Decimal | None  # over the quarters ahead; None when the round does not reach them
    days: Decimal | None
    band: str

    def get_band_display(self) -> str:
        return cover.Band(self.band).label


@dataclass(frozen=True)
class CoverSource:
    position_set: PositionSet | None
    quarters: list
    days_ahead: int

    @property
    def round(self):
        return self.position_set.round if self.position_set else None


def _stockpile_materials() -> tuple[dict[int, Decimal], dict[int, MaterialTarget], dict]:
    holdings = dict(
        Holding.objects.values_list("material_id").annotate(t=Sum("quantity_t")).order_by()
    )
    targets = {t.material_id: t for t in MaterialTarget.objects.all()}
    ids = set(holdings) | set(targets)
    materials = Material.objects.in_bulk(ids) if ids else {}
    return holdings, targets, materials


def _cover(*, today: datetime.date | None = None) -> tuple[CoverSource, list[MaterialCover]]:
    today = today or timezone.localdate()
    position_set = latest_position_set()
    quarters, demand, days_ahead = demand_ahead(position_set, today)
    holdings, targets, materials = _stockpile_materials()
    rows = []
    for material_id, material in materials.items():
        target = targets.get(material_id)
        high_risk = bool(target and target.high_risk)
        own = target.target_days if target else None
        holding = holdings.get(material_id, Decimal(0))
        demand_t = demand.get(material_id, Decimal(0)) if quarters else None
        days = cover.days_of_cover(holding, demand_t or Decimal(0), days_ahead)
        target_days = effective_target(high_risk, own)
        rows.append(
            MaterialCover(
                material=material,
                holding_t=holding,
                high_risk=high_risk,
                target_days=target_days,
                own_target=bool(own),
                demand_t=demand_t,
                days=days,
                band=cover.band(days, target_days),
            )
        )
    rows.sort(key=lambda r: (r.material.sort_order, r.material.code))
    return CoverSource(position_set, quarters, days_ahead), rows


def cover_rows(
    *, user, today: datetime.date | None = None
) -> tuple[CoverSource, list[MaterialCover]]:
    """Every stockpiled (or targeted) material with holding, demand ahead, days and band: the
    agency only. Five queries."""
    _require(policy.reads_stockpile(user))
    return _cover(today=today)


@dataclass(frozen=True)
class MaterialBand:
    """What the ministry sees of a material's stockpile: no tonne, no day count."""

    material: Material
    high_risk: bool
    target_days: int
    band: str

    def get_band_display(self) -> str:
        return cover.Band(self.band).label


def band_rows(
    *, user, today: datetime.date | None = None
) -> tuple[CoverSource, list[MaterialBand]]:
    _require(policy.reads_bands(user))
    source, rows = _cover(today=today)
    return source, [
        MaterialBand(
            material=r.material, high_risk=r.high_risk, target_days=r.target_days, band=r.band
        )
        for r in rows
    ]


# ---- holdings, movements, releases -----------------------------------------------------------


def holdings(*, user) -> QuerySet[Holding]:
    _require(policy.reads_stockpile(user))
    return Holding.objects.select_related("location", "material").filter(quantity_t__gt=0)


def locations(*, user) -> QuerySet[Location]:
    _require(policy.reads_stockpile(user))
    return Location.objects.all()


def movements_visible_to(user) -> QuerySet[Movement]:
    if not policy.reads_stockpile(user):
        return Movement.objects.none()
    return Movement.objects.select_related("location", "material", "author")


def movement_list(*, user, kind: str = "", state: str = "") -> QuerySet[Movement]:
    qs = movements_visible_to(user)
    if kind in MovementKind.values:
        qs = qs.filter(kind=kind)
    if state in MovementState.values:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-pk")


def movement_get(*, user, pk) -> Movement:
    return get_visible_or_404(movements_visible_to(user), pk=pk)


def releases_in_review(*, user) -> QuerySet[Movement]:
    return movements_visible_to(user).filter(
        Q(kind=MovementKind.RELEASE) & Q(state=MovementState.IN_REVIEW)
    )


def release_get(*, user, pk) -> Movement:
    return get_visible_or_404(movements_visible_to(user).filter(kind=MovementKind.RELEASE), pk=pk)
