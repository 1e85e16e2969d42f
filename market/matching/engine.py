"""The matching engine: suppliers' offers against a call's open demand cells (docs/matching.md).

Pure and database-free: the caller reads the open positions and the offers, computes each offer's
landed price in EUR per tonne per quarter (``contracts.pricing.landed_price_eur``) and passes plain
frozen dataclasses. The engine returns allocations and, per offer and per cell, a structured
explanation (codes and parameters; ``market.matching.explain`` turns them into sentences).

Tonnes are handled internally as whole micro-tonnes (the platform's 6 decimal places), so every
sum and comparison is exact and fast; the limit is an exact fraction.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from rohstoff.core.periods import Quarter

DEFAULT_LIMIT = Decimal("0.65")  # CRMA Art. 5(1)(b): at most 65 % from a single third country
MICRO = 1_000_000

# Per-quarter codes of an offer's explanation.
MATCHED = "matched"  # got all it offered in the quarter
DEMAND_EXHAUSTED = "demand_exhausted"  # cheaper offers took (part of) the demand
COUNTRY_CAP = "country_cap"  # cut to keep its third country at the limit
TIE_WON = "tie_won"  # same price as another offer, ranked first by the tie-break
TIE_LOST = "tie_lost"  # same price as another offer, ranked after it by the tie-break
NO_DEMAND = "no_demand"  # the call has no open demand for the material in that quarter
NO_PRICE = "no_price"  # no landed price for the quarter (index or FX rate missing)
# Offer-level codes.
MINIMUM_UNREACHABLE = "minimum_unreachable"  # the open demand of its quarters is below its minimum
BELOW_MINIMUM = "below_minimum"  # after cheaper offers, would have got less than its minimum

# An offer's status.
FULL = "full"
PARTIAL = "partial"
NONE = "none"

# Why a cell's demand stays (partly) uncovered.
NO_OFFERS = "no_offers"
OFFERS_EXHAUSTED = "offers_exhausted"
CAPPED = "country_cap"


class MatchingInputError(ValueError):
    """The input breaks the engine's preconditions (duplicate ids, negative or too precise
    tonnes, a limit outside (0, 1])."""


def _quarter(value) -> Quarter:
    if isinstance(value, Quarter):
        return value
    year, quarter = value
    return Quarter(int(year), int(quarter))


def _micro(tonnes: Decimal, *what) -> int:
    """Whole micro-tonnes; ``what`` names the figure in the error (joined only then)."""
    if not isinstance(tonnes, Decimal) or not tonnes.is_finite():
        raise MatchingInputError(f"{' '.join(map(str, what))}: tonnes must be a finite Decimal")
    scaled = tonnes.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise MatchingInputError(f"{' '.join(map(str, what))}: more than 6 decimals ({tonnes})")
    if scaled < 0:
        raise MatchingInputError(f"{' '.join(map(str, what))}: negative tonnes ({tonnes})")
    return int(scaled)


_ZERO = Decimal(0)


def _tonnes(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-6)


@dataclass(frozen=True)
class DemandCell:
    """The open demand of a call for one material and quarter, in tonnes."""

    material_id: int
    quarter: Quarter
    open_t: Decimal

    def __post_init__(self):
        object.__setattr__(self, "quarter", _quarter(self.quarter))


@dataclass(frozen=True)
class OfferQuarter:
    """What an offer offers in one quarter, and its landed price there (EUR per tonne, None when
    it cannot be computed)."""

    quarter: Quarter
    tonnes: Decimal
    price_eur_t: Decimal | None

    def __post_init__(self):
        object.__setattr__(self, "quarter", _quarter(self.quarter))


@dataclass(frozen=True)
class Offer:
    """A supplier's offer for one material. ``minimum_t`` is the least the supplier accepts over
    the whole offer (all its quarters together); zero means no minimum."""

    offer_id: int
    supplier_id: int
    material_id: int
    origin: str  # ISO 3166-1 alpha-2
    origin_in_eu: bool
    quarters: tuple[OfferQuarter, ...]
    submitted_at: datetime.datetime
    minimum_t: Decimal = Decimal(0)

    def __post_init__(self):
        object.__setattr__(self, "quarters", tuple(self.quarters))

    @property
    def offered_t(self) -> Decimal:
        return sum((q.tonnes for q in self.quarters), Decimal(0))


@dataclass(frozen=True)
class Allocation:
    offer_id: int
    material_id: int
    quarter: Quarter
    tonnes: Decimal


class Note(NamedTuple):
    """One reason, as a code and its parameters (translated at display time). ``quarter`` is
    None for a reason about the whole offer. (A named tuple: the engine makes one per offer and
    quarter, and it is quicker to build than a frozen dataclass.)"""

    code: str
    quarter: Quarter | None = None
    params: tuple[tuple[str, object], ...] = ()

    @property
    def kwargs(self) -> dict:
        return dict(self.params)


@dataclass(frozen=True)
class OfferOutcome:
    offer_id: int
    status: str  # FULL, PARTIAL or NONE
    offered_t: Decimal  # over the quarters with demand and a price
    matched_t: Decimal
    minimum_t: Decimal
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class CellOutcome:
    material_id: int
    quarter: Quarter
    open_t: Decimal
    matched_t: Decimal
    uncovered_t: Decimal
    uncovered_reason: str | None  # NO_OFFERS, OFFERS_EXHAUSTED, CAPPED; None when covered
    countries: tuple[tuple[str, Decimal], ...]  # matched tonnes per origin country
    capped: tuple[str, ...]  # third countries held at the limit


@dataclass(frozen=True)
class MatchResult:
    limit: Decimal
    allocations: tuple[Allocation, ...]
    offers: tuple[OfferOutcome, ...]
    cells: tuple[CellOutcome, ...]

    def outcome(self, offer_id: int) -> OfferOutcome:
        for outcome in self.offers:
            if outcome.offer_id == offer_id:
                return outcome
        raise KeyError(offer_id)


@dataclass(slots=True)
class _Entry:
    """An offer in one cell, in the cell's order."""

    offer: int  # position of the offer in the material's sorted list
    offered: int  # micro-tonnes
    offered_t: Decimal  # the same, as given
    country: str | None  # None for an EU origin (never capped)
    origin: str
    price: Decimal


@dataclass
class _Cell:
    material_id: int
    quarter: Quarter
    demand: int
    entries: list[_Entry] = field(default_factory=list)
    # The last fill: micro-tonnes per offer, and why each entry got less than it offered.
    taken: dict[int, int] = field(default_factory=dict)
    short: dict[int, str] = field(default_factory=dict)
    caps: dict[str, int] = field(default_factory=dict)


def _order_key(price: Decimal, offer: Offer):
    """The total order in a cell: landed price, then earlier submission, then lower offer id."""
    return (price, offer.submitted_at, offer.offer_id)


def match(
    cells: Iterable[DemandCell], offers: Iterable[Offer], *, limit: Decimal = DEFAULT_LIMIT
) -> MatchResult:
    """Match ``offers`` to the open demand ``cells`` (docs/matching.md).

    Per material and quarter, cheapest landed price first (ties: earlier submission, then lower
    offer id); no third country above ``limit`` of the cell's matched volume (EU origins never
    capped); an offer that would get less than its minimum over all its quarters gets nothing and
    its volume goes to the next offers. Same input in any order gives the same result."""
    if not isinstance(limit, Decimal) or not (Decimal(0) < limit <= Decimal(1)):
        raise MatchingInputError("the diversification limit must be a Decimal in (0, 1]")
    cells = sorted(cells, key=lambda c: (c.material_id, c.quarter))
    offers = sorted(offers, key=lambda o: o.offer_id)
    demand: dict[tuple[int, Quarter], int] = {}
    for cell in cells:
        key = (cell.material_id, cell.quarter)
        if key in demand:
            raise MatchingInputError(f"two cells for material {key[0]} in {key[1]}")
        demand[key] = _micro(cell.open_t, "cell", *key)
    seen: set[int] = set()
    by_material: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers:
        if offer.offer_id in seen:
            raise MatchingInputError(f"offer {offer.offer_id} given twice")
        seen.add(offer.offer_id)
        by_material[offer.material_id].append(offer)
    fraction = Fraction(limit)

    allocations: list[Allocation] = []
    outcomes: dict[int, OfferOutcome] = {}
    cell_outcomes: dict[tuple[int, Quarter], CellOutcome] = {}
    materials = sorted({m for m, _q in demand} | set(by_material))
    for material in materials:
        material_cells = {q: d for (m, q), d in demand.items() if m == material}
        allocs, offer_outs, cell_outs = _match_material(
            material, material_cells, by_material.get(material, []), fraction
        )
        allocations.extend(allocs)
        outcomes.update((o.offer_id, o) for o in offer_outs)
        cell_outcomes.update(((c.material_id, c.quarter), c) for c in cell_outs)
    return MatchResult(
        limit=limit,
        allocations=tuple(allocations),
        offers=tuple(outcomes[o.offer_id] for o in offers),
        cells=tuple(cell_outcomes[(c.material_id, c.quarter)] for c in cells),
    )


def _match_material(material, demand: dict[Quarter, int], offers: list[Offer], limit: Fraction):
    cells = {q: _Cell(material, q, d) for q, d in sorted(demand.items())}
    notes: list[list[Note]] = [[] for _ in offers]
    offered = [0] * len(offers)  # micro-tonnes over the quarters that can be matched
    minimum = [_micro(o.minimum_t, "offer", o.offer_id, "minimum") for o in offers]
    reachable = [0] * len(offers)
    cells_of: list[list[_Cell]] = [[] for _ in offers]
    for index, offer in enumerate(offers):
        quarters = set()
        for part in offer.quarters:
            if part.quarter in quarters:
                raise MatchingInputError(f"offer {offer.offer_id} lists {part.quarter} twice")
            quarters.add(part.quarter)
            tonnes = _micro(part.tonnes, "offer", offer.offer_id, part.quarter)
            if tonnes == 0:
                continue
            cell = cells.get(part.quarter)
            if cell is None or cell.demand == 0:
                notes[index].append(Note(NO_DEMAND, part.quarter))
                continue
            if part.price_eur_t is None:
                notes[index].append(Note(NO_PRICE, part.quarter))
                continue
            country = None if offer.origin_in_eu else offer.origin
            cell.entries.append(
                _Entry(index, tonnes, part.tonnes, country, offer.origin, part.price_eur_t)
            )
            offered[index] += tonnes
            reachable[index] += min(tonnes, cell.demand)
            cells_of[index].append(cell)
    for cell in cells.values():
        cell.entries.sort(key=lambda e: _order_key(e.price, offers[e.offer]))

    excluded: set[int] = set()
    for index in range(len(offers)):
        if offered[index] and reachable[index] < minimum[index]:
            excluded.add(index)
            notes[index].append(
                Note(
                    MINIMUM_UNREACHABLE,
                    params=(
                        ("minimum_t", offers[index].minimum_t),
                        ("open_t", _tonnes(reachable[index])),
                    ),
                )
            )

    total = [0] * len(offers)
    for cell in cells.values():
        _fill(cell, excluded, limit)
        for offer, tonnes in cell.taken.items():
            total[offer] += tonnes

    # Minimum volumes: drop, one at a time, the offer furthest below its minimum (the smallest
    # share of it reached; ties: the later submission, then the higher id) and refill only the
    # cells it had volume in. Each pass drops one offer for good, so there are at most as many
    # passes as offers.
    def drop_key(i):
        return (
            Fraction(total[i], minimum[i]),
            _Reversed((offers[i].submitted_at, offers[i].offer_id)),
        )

    below = {i: drop_key(i) for i in range(len(offers)) if 0 < total[i] < minimum[i]}
    while below:
        drop = min(below, key=below.__getitem__)
        excluded.add(drop)
        del below[drop]
        notes[drop].append(
            Note(
                BELOW_MINIMUM,
                params=(
                    ("minimum_t", offers[drop].minimum_t),
                    ("would_get_t", _tonnes(total[drop])),
                ),
            )
        )
        for cell in cells_of[drop]:
            if drop not in cell.taken:
                continue
            touched = set(cell.taken)
            for offer, tonnes in cell.taken.items():
                total[offer] -= tonnes
            _fill(cell, excluded, limit)
            for offer, tonnes in cell.taken.items():
                total[offer] += tonnes
            touched.update(cell.taken)
            for offer in touched - excluded:
                if 0 < total[offer] < minimum[offer]:
                    below[offer] = drop_key(offer)
                else:
                    below.pop(offer, None)

    allocations = []
    cell_outcomes = []
    for cell in cells.values():
        _explain_cell(cell, offers, excluded, notes, limit)
        countries: dict[str, int] = defaultdict(int)
        for entry in cell.entries:
            tonnes = cell.taken.get(entry.offer, 0)
            if tonnes:
                allocations.append(
                    Allocation(
                        offers[entry.offer].offer_id, material, cell.quarter, _tonnes(tonnes)
                    )
                )
                countries[entry.origin] += tonnes
        matched = sum(cell.taken.values())
        uncovered = cell.demand - matched
        reason = None
        if uncovered:
            active = [e for e in cell.entries if e.offer not in excluded]
            if not active:
                reason = NO_OFFERS
            elif any(cell.short.get(e.offer) == COUNTRY_CAP for e in active):
                reason = CAPPED
            else:
                reason = OFFERS_EXHAUSTED
        capped = sorted({e.country for e in cell.entries if cell.short.get(e.offer) == COUNTRY_CAP})
        cell_outcomes.append(
            CellOutcome(
                material_id=material,
                quarter=cell.quarter,
                open_t=_tonnes(cell.demand),
                matched_t=_tonnes(matched),
                uncovered_t=_tonnes(uncovered),
                uncovered_reason=reason,
                countries=tuple(sorted((c, _tonnes(t)) for c, t in countries.items())),
                capped=tuple(capped),
            )
        )
    offer_outcomes = []
    for index, offer in enumerate(offers):
        got = total[index]
        status = NONE if got == 0 else FULL if got == offered[index] else PARTIAL
        offer_outcomes.append(
            OfferOutcome(
                offer_id=offer.offer_id,
                status=status,
                offered_t=_tonnes(offered[index]),
                matched_t=_tonnes(got),
                minimum_t=offer.minimum_t,
                notes=tuple(sorted(notes[index], key=_note_order)),
            )
        )
    return allocations, offer_outcomes, cell_outcomes


class _Reversed:
    """Inverts the order of a key inside ``min``/``sorted``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return other.value < self.value

    def __eq__(self, other):
        return self.value == other.value


def _note_order(note: Note):
    return (note.quarter is not None, note.quarter or Quarter(0, 1), note.code)


def _greedy(cell: _Cell, excluded: set[int], caps: dict[str, int] | None):
    """Fill the cell in its order, each third country at most its cap."""
    left = cell.demand
    taken: dict[int, int] = {}
    short: dict[int, str] = {}
    by_country: dict[str, int] = defaultdict(int)
    for entry in cell.entries:
        if entry.offer in excluded:
            continue
        room = entry.offered
        reason = None
        if left < room:
            room, reason = left, DEMAND_EXHAUSTED
        if caps is not None and entry.country is not None:
            cap_room = caps[entry.country] - by_country[entry.country]
            if cap_room < room:
                room, reason = cap_room, COUNTRY_CAP
        if room > 0:
            taken[entry.offer] = room
            left -= room
            if entry.country is not None:
                by_country[entry.country] += room
        if reason:
            short[entry.offer] = reason
    return taken, short, by_country


def _fill(cell: _Cell, excluded: set[int], limit: Fraction) -> None:
    """Cheapest first; each third country at most ``limit`` of what the cell matches in the end.

    With the demand covered, that is at most limit x demand. When the caps leave demand uncovered,
    the matched volume E is the largest E <= demand with E = EU + sum min(available_c, limit x E);
    the caps follow from E, in whole micro-tonnes, lowered until they hold exactly."""
    if limit >= 1:
        cell.taken, cell.short, _ = _greedy(cell, excluded, None)
        cell.caps = {}
        return
    third = {e.country for e in cell.entries if e.country is not None and e.offer not in excluded}
    num, den = limit.numerator, limit.denominator
    caps = dict.fromkeys(third, num * cell.demand // den)
    taken, short, by_country = _greedy(cell, excluded, caps)
    matched = sum(taken.values())
    if matched < cell.demand and third:
        # Demand left uncovered: the third countries' shares are of less than the demand.
        third_offers = _third_offers(cell, excluded)
        eu = sum(t for offer, t in taken.items() if offer not in third_offers)
        available: dict[str, int] = defaultdict(int)
        for entry in cell.entries:
            if entry.country is not None and entry.offer not in excluded:
                available[entry.country] += entry.offered
        target = _largest_fixed_point(eu, available, limit, cell.demand)
        caps = dict.fromkeys(third, _floor(limit * target))
        taken, short, by_country = _greedy(cell, excluded, caps)
    # Whole micro-tonnes: lower the caps until each third country is within the limit of the
    # volume actually matched (a step or two; each step lowers a cap).
    while True:
        matched = sum(taken.values())
        over = {c for c, t in by_country.items() if t * den > num * matched}
        if not over:
            break
        for country in over:
            caps[country] = num * matched // den
        taken, short, by_country = _greedy(cell, excluded, caps)
    cell.taken, cell.short, cell.caps = taken, short, caps


def _third_offers(cell: _Cell, excluded: set[int]) -> set[int]:
    return {e.offer for e in cell.entries if e.country is not None and e.offer not in excluded}


def _floor(value: Fraction | int) -> int:
    return int(value // 1)


def _largest_fixed_point(eu: int, available: dict[str, int], limit: Fraction, demand: int):
    """The largest E in [0, demand] with E <= eu + sum min(a_c, limit x E). g(E) = that sum - E
    is concave and piecewise linear with g(0) = eu >= 0, so {g >= 0} is an interval from 0 and
    its end lies between two consecutive breakpoints a_c / limit, where g is linear."""

    def g(volume: Fraction) -> Fraction:
        return eu + sum(min(a, limit * volume) for a in available.values()) - volume

    top = Fraction(demand)
    if g(top) >= 0:
        return top
    points = sorted({Fraction(0), top} | {a / limit for a in available.values() if a / limit < top})
    for low, high in zip(points, points[1:], strict=False):
        g_low, g_high = g(low), g(high)
        if g_low >= 0 > g_high:
            return low + g_low * (high - low) / (g_low - g_high)
    return Fraction(0)  # unreachable: g(0) >= 0 > g(top)


def _explain_cell(cell: _Cell, offers: list[Offer], excluded, notes, limit: Fraction) -> None:
    active = [e for e in cell.entries if e.offer not in excluded]
    count = len(active)
    for rank, entry in enumerate(active, start=1):
        got = cell.taken.get(entry.offer, 0)
        got_t = entry.offered_t if got == entry.offered else _ZERO if got == 0 else _tonnes(got)
        base = (
            ("rank", rank),
            ("offers", count),
            ("price_eur_t", entry.price),
            ("offered_t", entry.offered_t),
            ("matched_t", got_t),
        )
        reason = cell.short.get(entry.offer)
        if reason == COUNTRY_CAP:
            params = (
                *base,
                ("country", entry.country),
                ("limit", Decimal(limit.numerator) / limit.denominator),
            )
            notes[entry.offer].append(Note(COUNTRY_CAP, cell.quarter, params))
        elif reason == DEMAND_EXHAUSTED:
            notes[entry.offer].append(Note(DEMAND_EXHAUSTED, cell.quarter, base))
        else:
            notes[entry.offer].append(Note(MATCHED, cell.quarter, base))
    # A tie matters when the offer ranked second of two at the same price got less than it offered.
    for first, second in zip(active, active[1:], strict=False):
        if first.price != second.price or cell.short.get(second.offer) != DEMAND_EXHAUSTED:
            continue
        a, b = offers[first.offer], offers[second.offer]
        by = "submission" if a.submitted_at != b.submitted_at else "offer_id"
        notes[first.offer].append(Note(TIE_WON, cell.quarter, (("other", b.offer_id), ("by", by))))
        notes[second.offer].append(
            Note(TIE_LOST, cell.quarter, (("other", a.offer_id), ("by", by)))
        )


def check_invariants(
    result: MatchResult,
    cells: Sequence[DemandCell],
    offers: Sequence[Offer],
    *,
    limit: Decimal | None = None,
    reruns: int = 2,
) -> list[str]:
    """What is wrong with ``result`` for this input: over-allocated cells, offers above what
    they offered in a quarter, matched offers below their minimum, third countries above the
    limit of a cell's matched volume, and a different result for the same input shuffled
    (``reruns`` times, seeded). An empty list: all hold."""
    limit = result.limit if limit is None else limit
    problems: list[str] = []
    demand = {(c.material_id, c.quarter): c.open_t for c in cells}
    by_id = {o.offer_id: o for o in offers}
    per_cell: dict[tuple[int, Quarter], Decimal] = defaultdict(Decimal)
    per_offer_quarter: dict[tuple[int, Quarter], Decimal] = defaultdict(Decimal)
    per_offer: dict[int, Decimal] = defaultdict(Decimal)
    per_country: dict[tuple[int, Quarter], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for a in result.allocations:
        offer = by_id.get(a.offer_id)
        if offer is None or offer.material_id != a.material_id:
            problems.append(f"allocation to unknown offer {a.offer_id} or wrong material")
            continue
        if a.tonnes <= 0:
            problems.append(f"offer {a.offer_id} {a.quarter}: allocation of {a.tonnes} t")
        per_cell[(a.material_id, a.quarter)] += a.tonnes
        per_offer_quarter[(a.offer_id, a.quarter)] += a.tonnes
        per_offer[a.offer_id] += a.tonnes
        if not offer.origin_in_eu:
            per_country[(a.material_id, a.quarter)][offer.origin] += a.tonnes
    for key, tonnes in per_cell.items():
        if tonnes > demand.get(key, Decimal(0)):
            problems.append(f"cell {key[0]} {key[1]}: {tonnes} t over {demand.get(key)} t open")
    for (offer_id, quarter), tonnes in per_offer_quarter.items():
        part = {q.quarter: q.tonnes for q in by_id[offer_id].quarters}.get(quarter, Decimal(0))
        if tonnes > part:
            problems.append(f"offer {offer_id} {quarter}: {tonnes} t over {part} t offered")
    for offer_id, tonnes in per_offer.items():
        if tonnes < by_id[offer_id].minimum_t:
            problems.append(f"offer {offer_id}: {tonnes} t below its minimum")
    for key, countries in per_country.items():
        for country, tonnes in countries.items():
            if tonnes > limit * per_cell[key]:
                problems.append(f"cell {key[0]} {key[1]}: {country} {tonnes} of {per_cell[key]} t")
    rng = random.Random(20260101)
    for _ in range(reruns):
        shuffled_cells, shuffled_offers = list(cells), list(offers)
        rng.shuffle(shuffled_cells)
        rng.shuffle(shuffled_offers)
        if match(shuffled_cells, shuffled_offers, limit=result.limit) != result:
            problems.append("the same input in another order gives another result")
            break
    return problems
