"""The export-stop scenario (docs/scenarios.md): chosen countries stop exporting from a first
quarter on; per material and quarter, how much pooled demand is left uncovered, how long the
stockpile bridges it, and which materials fall below their target.

Computed in bulk with a fixed number of queries (the round's current cells through the
tradinghouse disclosure selectors, the stopped supply grouped in the database, holdings, targets),
whatever the number of materials, quarters and contracts. The reader's rules apply throughout:
a cell the reader may not see (or whose supply figures are hidden) stays hidden in the result,
and only the agency sees the stockpile's tonnes and days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from contracts.offtakes import selectors as offtake_selectors
from industry.models import DemandRound
from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter
from tradinghouse import selectors as position_selectors

from ..stockpile import cover
from ..stockpile import policy as stockpile_policy
from ..stockpile.models import Holding, MaterialTarget, effective_target

ZERO = Decimal(0)


@dataclass(frozen=True)
class ScenarioCell:
    """One material and quarter. For a cell the reader may not see every figure is None."""

    quarter: Quarter
    visible: bool
    demand_t: Decimal | None = None
    contracted_t: Decimal | None = None
    lost_t: Decimal | None = None  # contracted supply from the stopped countries
    uncovered_t: Decimal | None = None  # demand - (contracted - lost), at least 0
    baseline_uncovered_t: Decimal | None = None  # the same without the stop

    @property
    def period(self) -> str:
        return str(self.quarter)

    @property
    def uncovered_share(self) -> Decimal | None:
        if not self.visible or not self.demand_t:
            return None
        return self.uncovered_t / self.demand_t


@dataclass
class MaterialResult:
    material: Material
    target_days: int
    high_risk: bool
    cells: list[ScenarioCell]
    holding_t: Decimal | None  # None for readers who do not see stockpile tonnes
    days_bridged: Decimal | None  # likewise
    runs_out: bool | None  # likewise: the stockpile runs out within the round's window
    bridge_band: str | None
    below_target: bool | None
    hidden_cells: int = 0

    @property
    def uncovered_t(self) -> Decimal:
        """Over the visible quarters of this material only."""
        return sum((c.uncovered_t for c in self.cells if c.visible), ZERO)

    @property
    def lost_t(self) -> Decimal:
        return sum((c.lost_t for c in self.cells if c.visible), ZERO)

    @property
    def baseline_uncovered_t(self) -> Decimal:
        """Uncovered over the same visible quarters without the stop: the contracts do not
        cover it anyway, so the stop is not its cause."""
        return sum((c.baseline_uncovered_t or ZERO for c in self.cells if c.visible), ZERO)

    @property
    def bridge_band_label(self) -> str:
        return bridge_label(self.bridge_band)


def bridge_label(value: str | None) -> str:
    from django.utils.translation import gettext as _

    if value is None:
        return _("not known (hidden cells)")
    if value == cover.LASTS:
        return _("lasts through the round's window")
    return str(cover.Band(value).label)


@dataclass
class ScenarioResult:
    round: DemandRound
    countries: list[str]
    first_quarter: Quarter
    quarters: list[Quarter]
    materials: list[MaterialResult] = field(default_factory=list)
    has_positions: bool = True
    stockpile_detail: bool = False

    @property
    def below_target(self) -> list[MaterialResult]:
        return [m for m in self.materials if m.below_target]


def _stopped_supply(
    round: DemandRound, countries: list[str], first: Quarter
) -> dict[tuple[int, int], Decimal]:
    """Scheduled tonnes of the round's live contracts from the stopped countries, per material
    and quarter from ``first`` on. One query, grouped in the database."""
    if not countries:
        return {}
    rows = (
        offtake_selectors.scheduled_supply()
        .filter(contract__round=round, quarter__gte=first.index, origin__in=countries)
        .values_list("contract__material_id", "quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by()
    )
    return {(m, q): t for m, q, t in rows}


def run(*, user, round: DemandRound, countries: list[str], first: Quarter) -> ScenarioResult:
    """The scenario for ``user`` on ``round``'s current positions (the caller has checked that
    the user may run scenarios and see the round). Six queries."""
    position_set = position_selectors.current_set(round)
    last = Quarter.from_index(round.last_quarter)
    quarters = [Quarter.from_index(i) for i in range(first.index, last.index + 1)]
    detail = stockpile_policy.scenario_stockpile_detail(user)
    result = ScenarioResult(
        round=round,
        countries=list(countries),
        first_quarter=first,
        quarters=quarters,
        has_positions=position_set is not None,
        stockpile_detail=detail,
    )
    if position_set is None:
        return result
    cells = [
        c
        for c in position_selectors.position_cells(
            user=user, round=round, position_set=position_set
        )
        if c.quarter >= first.index
    ]
    stopped = _stopped_supply(round, countries, first)
    holdings = dict(
        Holding.objects.values_list("material_id").annotate(t=Sum("quantity_t")).order_by()
    )
    targets = {t.material_id: t for t in MaterialTarget.objects.all()}

    by_material: dict[int, dict[int, object]] = defaultdict(dict)
    materials: dict[int, Material] = {}
    for cell in cells:
        by_material[cell.material.pk][cell.quarter] = cell
        materials[cell.material.pk] = cell.material

    for material_id, row in by_material.items():
        material = materials[material_id]
        target = targets.get(material_id)
        high_risk = bool(target and target.high_risk)
        target_days = effective_target(high_risk, target.target_days if target else None)
        scenario_cells, shortfalls, hidden = [], [], 0
        for quarter in quarters:
            cell = row.get(quarter.index)
            if cell is None:  # no pooled demand in this quarter: nothing to cover
                scenario_cells.append(
                    ScenarioCell(
                        quarter=quarter,
                        visible=True,
                        demand_t=ZERO,
                        contracted_t=ZERO,
                        lost_t=ZERO,
                        uncovered_t=ZERO,
                        baseline_uncovered_t=ZERO,
                    )
                )
                shortfalls.append((quarter, ZERO))
                continue
            if cell.demand_t is None or cell.contracted_t is None:
                # Hidden from this reader (the cell, or the supply figures that follow its firm
                # part): nothing computed from it may reach the reader.
                scenario_cells.append(ScenarioCell(quarter=quarter, visible=False))
                shortfalls.append((quarter, None))
                hidden += 1
                continue
            lost = min(stopped.get((material_id, quarter.index), ZERO), cell.contracted_t)
            remaining = cell.contracted_t - lost
            scenario_cells.append(
                ScenarioCell(
                    quarter=quarter,
                    visible=True,
                    demand_t=cell.demand_t,
                    contracted_t=cell.contracted_t,
                    lost_t=lost,
                    uncovered_t=max(cell.demand_t - remaining, ZERO),
                    baseline_uncovered_t=max(cell.demand_t - cell.contracted_t, ZERO),
                )
            )
            shortfalls.append((quarter, scenario_cells[-1].uncovered_t))
        holding = holdings.get(material_id, ZERO)
        bridge = cover.bridge(holding, shortfalls)
        result.materials.append(
            MaterialResult(
                material=material,
                target_days=target_days,
                high_risk=high_risk,
                cells=scenario_cells,
                holding_t=holding if detail else None,
                days_bridged=bridge.days if detail else None,
                runs_out=bridge.exhausted if detail else None,
                bridge_band=bridge.band(target_days),
                below_target=bridge.below_target(target_days),
                hidden_cells=hidden,
            )
        )
    result.materials.sort(key=lambda m: (m.material.sort_order, m.material.code))
    return result
