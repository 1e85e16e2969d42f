"""The allocation's explanations are computed once per result (linear in firms) and say exactly
what the old per-firm computation said: on a hand-computed case and on a random national-shape
quarter compared with the old formula (docs/allocation.md)."""

import json
import random
from decimal import ROUND_HALF_EVEN, Decimal

from contracts.allocation import (
    OWN_KEYS,
    SHARED_KEYS,
    SIX_PLACES,
    allocate,
    from_micro,
    to_micro,
)

D = Decimal


def old_explanation(result, share) -> dict:
    """The explanation as it was computed before: it re-summed every firm's lots for each firm."""
    allocated = from_micro(sum(s.lots for s in result.shares) * to_micro(result.lot_t))
    exact = Decimal(share.base_lots) + (
        Decimal(share.remainder_num) / Decimal(share.remainder_den)
        if share.remainder_den
        else Decimal(0)
    )
    return {
        "method": "pro_rata" if result.scarce else "full_demand",
        "volume_t": str(result.volume_t),
        "lot_t": str(result.lot_t),
        "lots_available": result.lots_available,
        "total_remaining_demand_t": str(result.total_demand_t),
        "firms": len(result.shares),
        "remaining_demand_t": str(share.demand_t),
        "cap_lots": share.cap_lots,
        "pro_rata_lots": str(exact.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)),
        "base_lots": share.base_lots,
        "extra_lots": share.extra_lots,
        "lots": share.lots,
        "share_t": str(from_micro(share.lots * to_micro(result.lot_t))),
        "unallocated_t": str(result.volume_t - allocated),
    }


def test_hand_computed_scarcity():
    # 10 lots of 1 t for 8.125 / 8.75 / 10 t (26.875 t): 3.023 / 3.256 / 3.721 -> 3 / 3 / 3 and
    # the leftover lot to the largest remainder (firm 3); firm 4 asked for nothing.
    result = allocate(D("10"), D("1"), {3: D("10"), 1: D("8.125"), 2: D("8.75"), 4: D("0")})
    assert result.quantities() == {1: D("3"), 2: D("3"), 3: D("4")}
    explained = result.explanations()
    common = {
        "method": "pro_rata",
        "volume_t": "10.000000",
        "lot_t": "1.000000",
        "lots_available": 10,
        "total_remaining_demand_t": "26.875000",
        "firms": 3,
        "unallocated_t": "0.000000",
    }
    assert explained[1] == {
        **common,
        "remaining_demand_t": "8.125000",
        "cap_lots": 8,
        "pro_rata_lots": "3.023256",
        "base_lots": 3,
        "extra_lots": 0,
        "lots": 3,
        "share_t": "3.000000",
    }
    assert explained[2]["pro_rata_lots"] == "3.255814" and explained[2]["lots"] == 3
    assert explained[3] == {
        **common,
        "remaining_demand_t": "10.000000",
        "cap_lots": 10,
        "pro_rata_lots": "3.720930",
        "base_lots": 3,
        "extra_lots": 1,
        "lots": 4,
        "share_t": "4.000000",
    }


def test_hand_computed_surplus():
    # 40 lots of 0.5 t for 2.5 t and 3 t: each firm gets its demand, 14.5 t stay unallocated.
    result = allocate(D("20"), D("0.5"), {1: D("2.5"), 2: D("3")})
    explained = result.explanations()
    assert explained[1]["method"] == "full_demand" and explained[1]["share_t"] == "2.500000"
    assert explained[2]["pro_rata_lots"] == "6.000000" and explained[2]["lots"] == 6
    assert {e["unallocated_t"] for e in explained.values()} == {"14.500000"}


def test_same_as_the_old_computation_on_many_firms():
    rng = random.Random(7)
    demands = {org: D(rng.randint(1, 50_000_000)) / 1_000_000 for org in range(1, 1201)}
    volume = (sum(demands.values()) * D("0.6")).quantize(SIX_PLACES)
    result = allocate(volume, D("0.001"), demands)
    explained = result.explanations()
    assert len(explained) == 1200
    for share in result.shares:
        old = old_explanation(result, share)
        assert explained[share.organisation_id] == old
        assert result.explanation(share) == old
        assert result.quantities()[share.organisation_id] == result.quantity_t(share)


def test_stored_json_says_the_same():
    rng = random.Random(11)
    demands = {org: D(rng.randint(1, 9_000_000)) / 1_000 for org in range(1, 301)}
    for volume in (D("1234.5"), sum(demands.values()) * 2):
        result = allocate(volume.quantize(SIX_PLACES), D("0.5"), demands)
        as_json = result.explanations_json()
        assert {org: json.loads(text) for org, text in as_json.items()} == result.explanations()
        # A firm's own figures and the shared ones, as the redistribution's SQL joins them.
        own, shared = result.explanations_json(own_only=True), json.loads(result.common_json())
        joined = {org: {**shared, **json.loads(text)} for org, text in own.items()}
        assert joined == result.explanations()
        assert set(shared) == SHARED_KEYS
        assert set(json.loads(next(iter(own.values())))) == set(OWN_KEYS)


def test_the_integer_texts_equal_the_decimal_quantities():
    """The preview writes its figures as text computed in integers; they are the texts of the
    Decimal quantities at 6 places, rounded half to even (hand-picked edges and random values)."""
    from contracts.allocation import micro_text, ratio_text

    rng = random.Random(7)
    micros = [0, 1, 999_999, 1_000_000, 1_000_001, -1, -1_500_000, 10**15 + 7]
    micros += [rng.randint(-(10**12), 10**12) for _ in range(2000)]
    for micro in micros:
        assert micro_text(micro) == str(from_micro(micro)), micro
    # Halves at the seventh place: 0.0000005 rounds to even (0), 0.0000015 to 2 micro-lots.
    cases = [(0, 1, 2_000_000), (0, 3, 2_000_000), (3, 0, 1), (2, 7, 0), (0, 2, 3), (5, 1, 1)]
    cases += [(rng.randint(0, 10**6), *sorted((rng.randint(0, 10**9), rng.randint(1, 10**9))))]
    cases += [
        (rng.randint(0, 10**6), rng.randint(0, 10**9), rng.randint(1, 10**9)) for _ in range(2000)
    ]
    for whole, num, den in cases:
        exact = Decimal(whole) + (Decimal(num) / Decimal(den) if den else Decimal(0))
        expected = str(exact.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN))
        assert ratio_text(whole, num, den) == expected, (whole, num, den)
