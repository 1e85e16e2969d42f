"""The allocation rule (docs/allocation.md) as a pure function: exact splits on hand-computed
cases."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.allocation import allocate

D = Decimal


def shares(result):
    return {s.organisation_id: result.quantity_t(s) for s in result.shares}


def test_scarcity_pro_rata_in_lots_with_largest_remainder():
    # 20 lots of 1 t for 10 + 8.125 + 8.75 t: exact shares 7.44, 6.05, 6.51 -> 7, 6, 6 and the
    # leftover lot goes to the largest remainder (firm 3: .51).
    result = allocate(D("20"), D("1"), {1: D("10"), 2: D("8.125"), 3: D("8.75")})
    assert result.scarce
    assert shares(result) == {1: D("7"), 2: D("6"), 3: D("7")}
    assert result.allocated_t == D("20")
    assert result.unallocated_t == D("0")


def test_surplus_gives_each_firm_its_demand_and_keeps_the_rest():
    result = allocate(D("100"), D("0.5"), {1: D("10"), 2: D("20.2")})
    assert not result.scarce
    # 20.2 t is 40.4 lots: whole lots only, so 20 t; the rest stays unallocated.
    assert shares(result) == {1: D("10"), 2: D("20")}
    assert result.unallocated_t == D("70")


def test_ties_go_to_the_lower_organisation_id():
    # 2 lots for three equal firms: 0.666.. each, base 0; two leftover lots by equal remainders
    # go to the lowest ids.
    result = allocate(D("2"), D("1"), {30: D("5"), 10: D("5"), 20: D("5")})
    assert shares(result) == {10: D("1"), 20: D("1"), 30: D("0")}


def test_never_more_than_a_firm_asked_for_even_with_the_largest_remainder():
    # 3 lots of 1 t; firm 1 wants 1.9 t (cap 1 lot) and firm 2 wants 10 t.
    # Exact: 3 * 1.9 / 11.9 = 0.479 -> 0, 3 * 10 / 11.9 = 2.521 -> 2; leftover lot: firm 1 has
    # the smaller remainder, so firm 2 (.521) gets it; nobody exceeds its cap.
    result = allocate(D("3"), D("1"), {1: D("1.9"), 2: D("10")})
    assert shares(result) == {1: D("0"), 2: D("3")}


def test_part_of_a_lot_stays_unallocated():
    result = allocate(D("10.7"), D("1"), {1: D("100")})
    assert shares(result) == {1: D("10")}
    assert result.unallocated_t == D("0.7")


def test_default_lot_of_one_kilogram_is_exact_to_the_kilogram():
    result = allocate(D("1"), D("0.001"), {1: D("1"), 2: D("1"), 3: D("1")})
    # 1000 kg among three: 333 each, one leftover kg to the lowest id.
    assert shares(result) == {1: D("0.334"), 2: D("0.333"), 3: D("0.333")}


def test_firms_without_demand_get_nothing_and_no_firms_leaves_everything():
    assert shares(allocate(D("5"), D("1"), {1: D("0"), 2: D("3")})) == {2: D("3")}
    empty = allocate(D("5"), D("1"), {})
    assert empty.shares == [] and empty.unallocated_t == D("5")


def test_explanation_lets_the_firm_check_its_share():
    result = allocate(D("20"), D("1"), {1: D("10"), 2: D("8.125"), 3: D("8.75")})
    share = next(s for s in result.shares if s.organisation_id == 3)
    e = result.explanation(share)
    assert e["method"] == "pro_rata"
    assert e["lots_available"] == 20
    assert e["total_remaining_demand_t"] == "26.875000"
    assert e["pro_rata_lots"] == "6.511628"  # 20 * 8.75 / 26.875
    assert (e["base_lots"], e["extra_lots"], e["share_t"]) == (6, 1, "7.000000")


def test_refuses_floats_and_bad_lots():
    with pytest.raises(TypeError):
        allocate(20.0, D("1"), {1: D("1")})
    with pytest.raises(ValueError):
        allocate(D("20"), D("0"), {1: D("1")})
    with pytest.raises(ValueError):
        allocate(D("20"), D("1"), {1: D("0.0000001")})


@settings(max_examples=200, deadline=None)
@given(
    volume_mt=st.integers(min_value=0, max_value=10**9),
    lot_mt=st.integers(min_value=1, max_value=10**6),
    demands=st.dictionaries(
        st.integers(min_value=1, max_value=10**6),
        st.integers(min_value=0, max_value=10**9),
        max_size=40,
    ),
)
def test_properties_exact_sum_caps_and_lots(volume_mt, lot_mt, demands):
    volume, lot = D(volume_mt) / 10**6, D(lot_mt) / 10**6
    demand = {org: D(d) / 10**6 for org, d in demands.items()}
    result = allocate(volume, lot, demand)
    got = shares(result)
    assert sum(got.values(), D(0)) + result.unallocated_t == volume
    for org, quantity in got.items():
        assert quantity <= demand[org]
        assert (quantity / lot) == (quantity / lot).to_integral_value()
    assert result.unallocated_t >= 0
    if result.scarce:
        # In scarcity every whole lot is allocated.
        assert result.unallocated_t < lot
