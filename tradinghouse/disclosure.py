"""Disclosure control: which position cells members and the ministry may see (docs/disclosure.md).

A cell is *primary hidden* when fewer than ``min_firms`` firms contribute, or when the p% rule
fails (total - largest - second largest < p x largest: the second-largest firm could estimate the
largest one's demand). Then, in every row (a material across its quarters, or an element roll-up
across its quarters), if exactly one cell is hidden, the shown cell with the smallest demand is
hidden too (earliest quarter on ties), so that no row total gives the hidden cell back. A roll-up
cell is hidden when it fails the rule itself or when any of its material cells is hidden. A cell's
firm and indicative parts are shown only when each part passes the rule on its own.

A re-published position set must not give a firm's figure back by subtraction: a figure (a cell's
demand, its firm and indicative parts, a roll-up cell) that a reader saw in an earlier published
set of the round and whose value has changed since is shown again only when the change itself
passes the rule (:func:`change_passes`); otherwise the cell is hidden for the reason ``change``.
docs/disclosure.md states all of these rules with a worked example.

Everything here is pure: it works on the few per-cell statistics the aggregation computed in the
database, never on demand lines. :func:`present_cell` is the one place that turns a stored cell
into what a given reader may see, so pages, API, exports and charts cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from .models import HiddenReason

ZERO = Decimal(0)


@dataclass(frozen=True)
class PartStats:
    """One quantity of a cell over its contributing firms: the total and the two largest firms."""

    total: Decimal
    largest: Decimal
    second: Decimal
    contributors: int

    @classmethod
    def empty(cls) -> PartStats:
        return cls(ZERO, ZERO, ZERO, 0)


def primary_reason(part: PartStats, *, min_firms: int, p: Decimal) -> str:
    """Why ``part`` may not be shown on its own ('' when it may)."""
    if part.contributors < min_firms:
        return HiddenReason.FEW_FIRMS
    if part.total - part.largest - part.second < p * part.largest:
        return HiddenReason.DOMINANCE
    return ""


@dataclass(frozen=True)
class ChangeStats:
    """How one figure changed since an earlier published set that showed it: ``net`` is what a
    reader gets by subtracting the two published values, ``firms`` the statistics of the absolute
    per-firm changes (total, the two largest, and how many firms changed at all)."""

    net: Decimal
    firms: PartStats


def change_passes(change: ChangeStats, *, min_firms: int, p: Decimal) -> bool:
    """The new value may be shown next to the old one: it did not change, or the change passes the
    rule as a cell of its own would (enough firms changed; no firm's change dominates)."""
    return change.net == ZERO or not primary_reason(change.firms, min_firms=min_firms, p=p)


@dataclass(frozen=True)
class CellChange:
    """One material cell against one earlier published set in which it was disclosed."""

    position_set: int
    total: ChangeStats
    firm: ChangeStats
    indicative: ChangeStats
    parts_shown: bool  # that set showed the cell's firm and indicative parts too


def direct_reason(
    part: PartStats, changes: Iterable[ChangeStats] = (), *, min_firms: int, p: Decimal
) -> str:
    """Why a cell's figure covered by members directly may not be shown ('' when it may): the
    firms that reported into the cell pass the rule as the cell's firms do (enough of them, no
    dominant one), and its change since every earlier publication that showed it passes too. A
    cell nobody reported into shows zero, which gives no firm away."""
    if part.total == ZERO and all(c.net == ZERO for c in changes):
        return ""
    if part.total != ZERO:
        reason = primary_reason(part, min_firms=min_firms, p=p)
        if reason:
            return reason
    if not all(change_passes(c, min_firms=min_firms, p=p) for c in changes):
        return HiddenReason.CHANGE
    return ""


def part_passes(part: PartStats, *, min_firms: int, p: Decimal) -> bool:
    """A firm or indicative part may be shown. A part nobody entered (zero) gives no firm's
    figure away: the other part then equals the total, which passed the rule already."""
    return part.total == ZERO or not primary_reason(part, min_firms=min_firms, p=p)


@dataclass
class Decision:
    """The disclosure outcome of one cell (material or roll-up) in a row of quarters."""

    row: object
    quarter: int
    demand: Decimal
    reason: str = ""

    @property
    def hidden(self) -> bool:
        return bool(self.reason)


def suppress_complementary(decisions: Iterable[Decision]) -> None:
    """In each row with exactly one hidden cell, hide the shown cell with the smallest demand
    (earliest quarter on ties). Changes the decisions in place."""
    rows: dict[object, list[Decision]] = defaultdict(list)
    for decision in decisions:
        rows[decision.row].append(decision)
    for row in rows.values():
        hidden = [d for d in row if d.hidden]
        shown = [d for d in row if not d.hidden]
        if len(hidden) == 1 and shown:
            smallest = min(shown, key=lambda d: (d.demand, d.quarter))
            smallest.reason = HiddenReason.COMPLEMENTARY


@dataclass
class CellInput:
    material_id: int
    quarter: int
    total: PartStats
    firm: PartStats
    indicative: PartStats
    # Against every earlier published set of the round that disclosed this cell.
    changes: list[CellChange] = field(default_factory=list)

    def change_reason(self, *, min_firms: int, p: Decimal) -> str:
        if all(change_passes(c.total, min_firms=min_firms, p=p) for c in self.changes):
            return ""
        return HiddenReason.CHANGE

    def parts_changes_pass(self, *, min_firms: int, p: Decimal) -> bool:
        return all(
            change_passes(c.firm, min_firms=min_firms, p=p)
            and change_passes(c.indicative, min_firms=min_firms, p=p)
            for c in self.changes
            if c.parts_shown
        )


@dataclass
class CellOutcome:
    disclosed: bool
    hidden_reason: str
    firm_disclosed: bool
    indicative_disclosed: bool


@dataclass
class RollupInput:
    element: str
    quarter: int
    total: PartStats
    material_ids: set[int] = field(default_factory=set)
    # Against every earlier published set of the round that disclosed this roll-up cell.
    changes: list[ChangeStats] = field(default_factory=list)


def decide(
    cells: list[CellInput], rollups: list[RollupInput], *, min_firms: int, p: Decimal
) -> tuple[dict[tuple[int, int], CellOutcome], dict[tuple[str, int], str]]:
    """Disclosure of every material cell and every roll-up cell of one position set.

    Returns ``{(material_id, quarter): CellOutcome}`` and ``{(element, quarter): hidden_reason}``
    ('' for a disclosed roll-up cell).
    """
    material_decisions = {
        (c.material_id, c.quarter): Decision(
            row=c.material_id,
            quarter=c.quarter,
            demand=c.total.total,
            reason=primary_reason(c.total, min_firms=min_firms, p=p)
            or c.change_reason(min_firms=min_firms, p=p),
        )
        for c in cells
    }
    suppress_complementary(material_decisions.values())

    rollup_decisions = {}
    for r in rollups:
        reason = primary_reason(r.total, min_firms=min_firms, p=p)
        if not reason and not all(
            change_passes(change, min_firms=min_firms, p=p) for change in r.changes
        ):
            reason = HiddenReason.CHANGE
        if not reason and any(material_decisions[(m, r.quarter)].hidden for m in r.material_ids):
            reason = HiddenReason.PART_HIDDEN
        rollup_decisions[(r.element, r.quarter)] = Decision(
            row=r.element, quarter=r.quarter, demand=r.total.total, reason=reason
        )
    suppress_complementary(rollup_decisions.values())

    outcomes = {}
    for c in cells:
        decision = material_decisions[(c.material_id, c.quarter)]
        parts_shown = (
            not decision.hidden
            and part_passes(c.firm, min_firms=min_firms, p=p)
            and part_passes(c.indicative, min_firms=min_firms, p=p)
            and c.parts_changes_pass(min_firms=min_firms, p=p)
        )
        outcomes[(c.material_id, c.quarter)] = CellOutcome(
            disclosed=not decision.hidden,
            hidden_reason=decision.reason,
            firm_disclosed=parts_shown,
            indicative_disclosed=parts_shown,
        )
    return outcomes, {key: d.reason for key, d in rollup_decisions.items()}


# ---- what a reader may see (who is a trustee: tradinghouse.policy.is_trustee) ---------------


@dataclass(frozen=True)
class CellView:
    """A position cell as one reader may see it: for members and the ministry a hidden cell has
    every quantity and count None."""

    material: object
    quarter: int
    period: str
    disclosed: bool
    demand_t: Decimal | None
    demand_firm_t: Decimal | None
    demand_indicative_t: Decimal | None
    contributors: int | None
    contracted_t: Decimal | None
    allocated_t: Decimal | None
    open_t: Decimal | None
    coverage: Decimal | None
    hidden_reason: str | None  # None for readers who may not know it
    largest_share: Decimal | None  # the desk only
    # Covered by members directly (their reported contracts); None where this reader may not see
    # it. Open tonnes and coverage include it exactly when it is shown.
    covered_directly_t: Decimal | None = None
    direct_reporters: int | None = None  # trustees only
    direct_disclosed: bool = False

    @property
    def visible(self) -> bool:
        """The figures are shown to this reader (a trustee sees hidden cells too)."""
        return self.demand_t is not None

    @property
    def parts_visible(self) -> bool:
        return self.demand_firm_t is not None

    def get_hidden_reason_display(self) -> str:
        return HiddenReason(self.hidden_reason).label if self.hidden_reason else ""


def present_cell(cell, *, trustee: bool, desk: bool = False) -> CellView:
    from rohstoff.core.periods import Quarter

    common = {
        "material": cell.material,
        "quarter": cell.quarter,
        "period": str(Quarter.from_index(cell.quarter)),
        "disclosed": cell.disclosed,
    }
    if trustee:
        # The figure covered by members directly is the desk's alone in full; the agency, a
        # trustee of the demand, sees it as everyone else does (docs/reported-contracts.md).
        direct = desk or cell.direct_disclosed
        return CellView(
            **common,
            demand_t=cell.demand_t,
            demand_firm_t=cell.demand_firm_t,
            demand_indicative_t=cell.demand_indicative_t,
            contributors=cell.contributors,
            contracted_t=cell.contracted_t,
            allocated_t=cell.allocated_t,
            open_t=cell.open_t if direct else cell.open_without_direct_t,
            coverage=cell.coverage if direct else cell.coverage_without_direct,
            hidden_reason=cell.hidden_reason,
            largest_share=cell.largest_share if desk else None,
            covered_directly_t=cell.covered_directly_t if direct else None,
            direct_reporters=cell.direct_reporters if desk else None,
            direct_disclosed=cell.direct_disclosed,
        )
    if not cell.disclosed:
        return CellView(
            **common,
            demand_t=None,
            demand_firm_t=None,
            demand_indicative_t=None,
            contributors=None,
            contracted_t=None,
            allocated_t=None,
            open_t=None,
            coverage=None,
            hidden_reason=None,
            largest_share=None,
        )
    parts = cell.firm_disclosed and cell.indicative_disclosed
    # Supply follows the firm part: allocations are shares of the firm demand, and a member's
    # fill rate (volume / pooled firm demand) beside the contracted tonnes gives it back. Where
    # the firm part is hidden, so is every supply figure (docs/allocation.md). The figure covered
    # by members directly is shown only where the supply figures are and its reporting firms pass
    # the rule on their own (``direct_disclosed``); elsewhere open and coverage leave it out, so
    # that neither gives it back (docs/reported-contracts.md).
    direct = parts and cell.direct_disclosed
    return CellView(
        **common,
        demand_t=cell.demand_t,
        demand_firm_t=cell.demand_firm_t if parts else None,
        demand_indicative_t=cell.demand_indicative_t if parts else None,
        contributors=cell.contributors,
        contracted_t=cell.contracted_t if parts else None,
        allocated_t=cell.allocated_t if parts else None,
        open_t=(cell.open_t if direct else cell.open_without_direct_t) if parts else None,
        coverage=(cell.coverage if direct else cell.coverage_without_direct) if parts else None,
        hidden_reason=None,
        largest_share=None,
        covered_directly_t=cell.covered_directly_t if direct else None,
        direct_disclosed=direct,
    )


@dataclass(frozen=True)
class ElementView:
    element: str
    quarter: int
    period: str
    disclosed: bool
    demand_t: Decimal | None
    demand_lce_t: Decimal | None
    contributors: int | None
    hidden_reason: str | None

    @property
    def visible(self) -> bool:
        return self.demand_t is not None

    def get_hidden_reason_display(self) -> str:
        return HiddenReason(self.hidden_reason).label if self.hidden_reason else ""


def present_element(cell, *, trustee: bool) -> ElementView:
    from rohstoff.core.periods import Quarter

    common = {
        "element": cell.element,
        "quarter": cell.quarter,
        "period": str(Quarter.from_index(cell.quarter)),
        "disclosed": cell.disclosed,
    }
    if trustee or cell.disclosed:
        return ElementView(
            **common,
            demand_t=cell.demand_t,
            demand_lce_t=cell.demand_lce_t,
            contributors=cell.contributors,
            hidden_reason=cell.hidden_reason if trustee else None,
        )
    return ElementView(
        **common, demand_t=None, demand_lce_t=None, contributors=None, hidden_reason=None
    )


# ---- what a supplier, and the ministry on a call's figures, may see (docs/suppliers.md) ------


@dataclass(frozen=True)
class SupplierCellView:
    """A position cell as a supplier sees it on a call's sheet: material, quarter and the pooled
    demand where the cell is disclosed; a hidden cell says only that it is hidden. Never a count
    of contributors, a firm part, a reason or any supply figure."""

    material: object
    quarter: int
    period: str
    disclosed: bool
    demand_t: Decimal | None

    @property
    def visible(self) -> bool:
        return self.demand_t is not None


def present_cell_to_supplier(cell) -> SupplierCellView:
    """The one way a supplier sees a position cell (pages, API, exports, mails)."""
    from rohstoff.core.periods import Quarter

    return SupplierCellView(
        material=cell.material,
        quarter=cell.quarter,
        period=str(Quarter.from_index(cell.quarter)),
        disclosed=cell.disclosed,
        demand_t=cell.demand_t if cell.disclosed else None,
    )


@dataclass(frozen=True)
class MarketCellView:
    """A call's three published figures for one cell (demanded, offered, matched) with the price
    range and country mix of its offers. For a reader who is not a trustee every figure of a
    hidden cell is None: offered and matched tonnes next to a hidden demand would narrow it."""

    material: object
    quarter: int
    period: str
    disclosed: bool
    demand_t: Decimal | None
    offered_t: Decimal | None
    matched_t: Decimal | None
    price_min: Decimal | None
    price_median: Decimal | None
    price_max: Decimal | None
    countries: tuple | None  # ((country code, matched tonnes), ...)

    @property
    def visible(self) -> bool:
        return self.demand_t is not None


def present_market_cell(cell, figures: dict, *, trustee: bool) -> MarketCellView:
    """``figures``: offered_t, matched_t, price_min, price_median, price_max, countries of the
    cell (from the call's offers and match). Trustees see every cell with its prices and country
    mix; anyone else the three figures of disclosed cells only (the suppliers' prices and origins
    are the desk's)."""
    from rohstoff.core.periods import Quarter

    common = {
        "material": cell.material,
        "quarter": cell.quarter,
        "period": str(Quarter.from_index(cell.quarter)),
        "disclosed": cell.disclosed,
    }
    if not trustee and not cell.disclosed:
        return MarketCellView(
            **common,
            demand_t=None,
            offered_t=None,
            matched_t=None,
            price_min=None,
            price_median=None,
            price_max=None,
            countries=None,
        )
    return MarketCellView(
        **common,
        demand_t=cell.demand_t,
        offered_t=figures.get("offered_t", ZERO),
        matched_t=figures.get("matched_t", ZERO),
        price_min=figures.get("price_min") if trustee else None,
        price_median=figures.get("price_median") if trustee else None,
        price_max=figures.get("price_max") if trustee else None,
        countries=tuple(figures.get("countries", ())) if trustee else None,
    )
