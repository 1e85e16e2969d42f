"""Reads of tradinghouse that have rules. Every function takes the acting user; a round the user
may not see raises Http404 (missing and forbidden look the same). Dashboards read positions only,
never demand lines, so their query count does not grow with the data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q

from industry.models import DemandRound, RoundState

# Which rounds a user sees is industry's rule, stated once in its policy; re-exported for the views.
from industry.policy import rounds_visible_to as rounds_visible_to
from industry.rounds.selectors import round_get as round_get
from rohstoff.core.models import Material, User
from rohstoff.core.periods import Period, PeriodError

from .disclosure import CellView, ElementView, present_cell, present_element
from .models import CellFigures, ElementCell, FirmPosition, PositionCell, PositionSet
from .policy import is_trustee, reads_own_firm_share, runs_aggregation, sees_largest_firm


def current_set(round: DemandRound) -> PositionSet | None:
    return PositionSet.objects.filter(round=round, is_current=True).first()


def rounds_with_positions(user: User) -> list[tuple[DemandRound, PositionSet | None]]:
    """Rounds whose positions the user may read (with their current set), newest first; for the
    desk also closed rounds that are waiting for their first aggregation."""
    current = {
        ps.round_id: ps
        for ps in PositionSet.objects.filter(
            is_current=True, round__in=rounds_visible_to(user)
        ).annotate(
            cell_count=Count("cells"),
            disclosed_count=Count("cells", filter=Q(cells__disclosed=True)),
        )
    }
    rounds = (
        rounds_visible_to(user)
        .filter(
            Q(pk__in=list(current))
            | (Q(state=RoundState.CLOSED) if runs_aggregation(user) else Q(pk__in=[]))
        )
        .order_by("-closes_at", "-pk")
    )
    return [(r, current.get(r.pk)) for r in rounds]


@dataclass(frozen=True)
class PositionFilter:
    """Filters of the positions API and dashboards: material code, family, period (a year means
    its four quarters)."""

    material: Material | None = None
    family: str = ""
    quarters: tuple[int, ...] | None = None

    @property
    def active(self) -> bool:
        return bool(self.material or self.family or self.quarters)

    @property
    def key(self) -> str:
        """The filter as short canonical text: equal for filters that select the same cells."""
        quarters = ",".join(map(str, self.quarters or ()))
        return f"{self.material.pk if self.material else ''}:{self.family}:{quarters}"


class FilterError(ValueError):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


def parse_filter(params) -> PositionFilter:
    """Validate filter parameters; raises FilterError with messages per parameter."""
    from django.utils.translation import gettext as _

    from rohstoff.core.models import MaterialFamily

    errors, material, family, quarters = {}, None, "", None
    code = (params.get("material") or "").strip()
    if code:
        material = Material.objects.filter(code=code).first()
        if material is None:
            errors["material"] = [_("Unknown material code %(code)s.") % {"code": code}]
    family = (params.get("family") or "").strip()
    if family and family not in MaterialFamily.values:
        errors["family"] = [_("Unknown material family %(family)s.") % {"family": family}]
    text = (params.get("period") or "").strip()
    if text:
        try:
            quarters = tuple(q.index for q in Period.parse(text).quarters())
        except PeriodError:
            errors["period"] = [_("Write a year (2027) or a quarter (2027-Q3).")]
    if errors:
        raise FilterError(errors)
    return PositionFilter(material=material, family=family, quarters=quarters)


_CELL_FIELDS = (
    "material_id",
    "quarter",
    "disclosed",
    "demand_t",
    "demand_firm_t",
    "demand_indicative_t",
    "contributors",
    "contracted_t",
    "allocated_t",
    "hidden_reason",
    "largest_share",
    "firm_disclosed",
    "indicative_disclosed",
    "covered_directly_t",
    "direct_reporters",
    "direct_disclosed",
)


class StoredCell(CellFigures):
    """A position cell as read for a dashboard: plain values, without model instances (a round
    has hundreds of cells, and each page shows them all)."""

    __slots__ = (*_CELL_FIELDS, "material")

    def __init__(self, values, materials):
        for name, value in zip(_CELL_FIELDS, values, strict=True):
            setattr(self, name, value)
        self.material = materials[self.material_id]


def _filtered_cells(position_set: PositionSet, flt: PositionFilter) -> list[StoredCell]:
    qs = PositionCell.objects.filter(position_set=position_set)
    if flt.material:
        qs = qs.filter(material=flt.material)
    if flt.family:
        qs = qs.filter(material__family=flt.family)
    if flt.quarters:
        qs = qs.filter(quarter__in=flt.quarters)
    materials = Material.objects.in_bulk()
    rows = [StoredCell(values, materials) for values in qs.values_list(*_CELL_FIELDS)]
    rows.sort(key=lambda c: (c.material.sort_order, c.material.code, c.quarter))
    return rows


class StoredElement(NamedTuple):
    element: str
    quarter: int
    disclosed: bool
    demand_t: Decimal
    demand_lce_t: Decimal | None
    contributors: int
    hidden_reason: str


def _filtered_elements(position_set: PositionSet, flt: PositionFilter) -> list[StoredElement]:
    qs = ElementCell.objects.filter(position_set=position_set)
    if flt.material:
        qs = qs.filter(element=flt.material.element)
    if flt.family:
        qs = qs.filter(element__in=Material.objects.filter(family=flt.family).values("element"))
    if flt.quarters:
        qs = qs.filter(quarter__in=flt.quarters)
    return [
        StoredElement(*values)
        for values in qs.order_by("element", "quarter").values_list(*StoredElement._fields)
    ]


_CURRENT = object()


def position_cells(
    *, user: User, round: DemandRound, flt: PositionFilter | None = None, position_set=_CURRENT
) -> list[CellView]:
    """The current cells of ``round`` as ``user`` may see them (disclosure applied). Pass the
    round's current ``position_set`` when the caller has it already."""
    if position_set is _CURRENT:
        position_set = current_set(round)
    if position_set is None:
        return []
    trustee = is_trustee(user)
    desk = sees_largest_firm(user)
    return [
        present_cell(c, trustee=trustee, desk=desk)
        for c in _filtered_cells(position_set, flt or PositionFilter())
    ]


def published_cells(*, round: DemandRound, position_set=_CURRENT) -> list[CellView]:
    """The current cells of ``round`` as members and the ministry see them (disclosure applied),
    whoever asks: for documents that may travel beyond their reader, such as the printable
    briefing (docs/supply-security.md)."""
    if position_set is _CURRENT:
        position_set = current_set(round)
    if position_set is None:
        return []
    return [present_cell(c, trustee=False) for c in _filtered_cells(position_set, PositionFilter())]


def coverage_by_material(cells: list[CellView]) -> list[dict]:
    """Per material, over the cells the reader sees: number of cells, demand, and coverage (by
    contracts and, where shown, by members directly) of the demand whose contracted supply is shown (the supply figures follow the firm part's
    disclosure). A hidden cell contributes nothing, not even to a sum; tonnes of different
    materials are never added up (docs/periods-and-units.md, "Cells")."""
    materials: dict[int, dict] = {}
    for cell in cells:
        if not cell.visible:
            continue
        row = materials.setdefault(
            cell.material.pk,
            {
                "material": cell.material,
                "cells": 0,
                "demand_t": Decimal(0),
                "covered_demand_t": Decimal(0),
                "contracted_t": Decimal(0),
                "covered_directly_t": Decimal(0),
            },
        )
        row["cells"] += 1
        row["demand_t"] += cell.demand_t
        if cell.contracted_t is not None:
            row["covered_demand_t"] += cell.demand_t
            row["contracted_t"] += cell.contracted_t
            # Shown only where disclosure control allows (docs/reported-contracts.md).
            row["covered_directly_t"] += cell.covered_directly_t or Decimal(0)
    rows = list(materials.values())
    for row in rows:
        covered = row["contracted_t"] + row["covered_directly_t"]
        row["coverage"] = covered / row["covered_demand_t"] if row["covered_demand_t"] else None
    return rows


def element_cells(
    *, user: User, round: DemandRound, flt: PositionFilter | None = None, position_set=_CURRENT
) -> list[ElementView]:
    if position_set is _CURRENT:
        position_set = current_set(round)
    if position_set is None:
        return []
    trustee = is_trustee(user)
    return [
        present_element(c, trustee=trustee)
        for c in _filtered_elements(position_set, flt or PositionFilter())
    ]


def own_firm_demand(*, user: User, position_set: PositionSet) -> dict[tuple[int, int], Decimal]:
    """A member's own demand in the set, tonnes by (material_id, quarter). Nobody else's."""
    if not reads_own_firm_share(user):
        return {}
    rows = FirmPosition.objects.filter(
        position_set=position_set, organisation_id=user.organisation_id
    ).values_list("material_id", "quarter", "demand_t")
    return {(material_id, quarter): demand_t for material_id, quarter, demand_t in rows}


@dataclass(frozen=True)
class MemberRow:
    cell: CellView
    own_t: Decimal
    share: Decimal | None  # own / pool where the pool cell is disclosed


@dataclass(frozen=True)
class MaterialShare:
    material: Material
    own_t: Decimal
    pool_t: Decimal
    share: Decimal
    quarters: int


def member_view(
    *, user: User, position_set: PositionSet, cells: list[CellView]
) -> tuple[list[MemberRow], list[MaterialShare]]:
    """A member's own demand against the disclosed pool: per cell, and per material over the
    disclosed quarters only (a share of a hidden cell would give the pool away)."""
    own = own_firm_demand(user=user, position_set=position_set)
    rows, totals, zero = [], {}, Decimal(0)
    for cell in cells:
        own_t = own.get((cell.material.pk, cell.quarter), zero)
        share = None
        if cell.visible and cell.demand_t:
            share = own_t / cell.demand_t
            entry = totals.setdefault(cell.material.pk, [cell.material, Decimal(0), Decimal(0), 0])
            entry[1] += own_t
            entry[2] += cell.demand_t
            entry[3] += 1
        rows.append(MemberRow(cell=cell, own_t=own_t, share=share))
    shares = [
        MaterialShare(material=m, own_t=o, pool_t=p, share=o / p, quarters=n)
        for m, o, p, n in totals.values()
        if p and o
    ]
    return rows, shares


@dataclass(frozen=True)
class TotalView:
    """A total over member firms' figures as one reader may see it: for members and the ministry
    a withheld total has ``total_t`` and ``contributors`` None, like a hidden position cell."""

    disclosed: bool
    total_t: Decimal | None
    contributors: int | None

    @property
    def visible(self) -> bool:
        return self.total_t is not None


def firm_total(*, user: User, per_firm: list[Decimal]) -> TotalView:
    """A total that no position set stores (e.g. the confirmed allocations of a material over all
    rounds) from each contributing firm's figure, as ``user`` may see it. Such a figure follows
    firm demand, so it passes the rule of a position cell (enough firms, no dominant firm) and is
    shown like one: trustees (``is_trustee``) see it whatever the outcome, everyone else only a
    disclosed total."""
    from django.conf import settings

    from .disclosure import PartStats, primary_reason

    ranked = sorted(per_firm, reverse=True)
    part = PartStats(
        total=sum(ranked, Decimal(0)),
        largest=ranked[0] if ranked else Decimal(0),
        second=ranked[1] if len(ranked) > 1 else Decimal(0),
        contributors=len(ranked),
    )
    disclosed = not primary_reason(
        part, min_firms=settings.DISCLOSURE_MIN_FIRMS, p=Decimal(settings.DISCLOSURE_P)
    )
    if disclosed or is_trustee(user):
        return TotalView(disclosed=disclosed, total_t=part.total, contributors=part.contributors)
    return TotalView(disclosed=False, total_t=None, contributors=None)
