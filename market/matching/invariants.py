"""The invariants every matching result must keep (docs/matching.md), checked by the tests and by
``benchmark_matching``."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from rohstoff.core.periods import Quarter

from .engine import DemandCell, MatchResult, Offer, match


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
