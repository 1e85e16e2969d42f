"""The matching engine (docs/matching.md) on hand-computed cases, its invariants as a property,
its explanations in German and English, the landed price and the benchmark command."""

import dataclasses
import datetime
import random
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import pricing
from market.management.commands.benchmark_matching import Command as BenchmarkMatching
from market.matching import explain
from market.matching.engine import (
    BELOW_MINIMUM,
    CAPPED,
    COUNTRY_CAP,
    DEMAND_EXHAUSTED,
    FULL,
    MATCHED,
    MINIMUM_UNREACHABLE,
    NO_DEMAND,
    NO_OFFERS,
    NO_PRICE,
    NONE,
    OFFERS_EXHAUSTED,
    PARTIAL,
    TIE_LOST,
    TIE_WON,
    Allocation,
    DemandCell,
    MatchingInputError,
    MatchResult,
    Note,
    Offer,
    OfferQuarter,
    match,
)
from market.matching.invariants import check_invariants
from rohstoff.core.periods import Quarter
from rohstoff.supply.concentration import is_third_country

D = Decimal
Q1, Q2, Q3 = Quarter(2027, 1), Quarter(2027, 2), Quarter(2027, 3)
T0 = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)


def offer(offer_id, origin, parts, *, minimum="0", minutes=0, material=1):
    """parts: {quarter: (tonnes, price)}"""
    return Offer(
        offer_id=offer_id,
        supplier_id=offer_id * 10,
        material_id=material,
        origin=origin,
        origin_in_eu=not is_third_country(origin),
        quarters=tuple(
            OfferQuarter(q, D(str(t)), None if p is None else D(str(p)))
            for q, (t, p) in parts.items()
        ),
        submitted_at=T0 + datetime.timedelta(minutes=minutes),
        minimum_t=D(minimum),
    )


def cell(quarter, tonnes, material=1):
    return DemandCell(material, quarter, D(str(tonnes)))


def tonnes(result):
    """{(offer id, quarter): tonnes}"""
    return {(a.offer_id, a.quarter): a.tonnes for a in result.allocations}


def codes(result, offer_id):
    return [n.code for n in result.outcome(offer_id).notes]


def run(cells, offers, **kwargs):
    result = match(cells, offers, **kwargs)
    assert check_invariants(result, cells, offers) == []
    return result


def test_cheapest_first_then_the_next_until_the_demand_is_covered():
    cells = [cell(Q1, 150)]
    offers = [
        offer(1, "DE", {Q1: (100, 900)}),
        offer(2, "FR", {Q1: (100, 800)}),
        offer(3, "FI", {Q1: (100, 700)}),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(3, Q1): D(100), (2, Q1): D(50)}
    assert [o.status for o in result.offers] == [NONE, PARTIAL, FULL]
    assert codes(result, 3) == [MATCHED]
    assert result.outcome(3).notes[0].kwargs["rank"] == 1
    assert codes(result, 2) == [DEMAND_EXHAUSTED]
    assert result.outcome(2).notes[0].kwargs["matched_t"] == D(50)
    assert codes(result, 1) == [DEMAND_EXHAUSTED]
    assert result.cells[0].uncovered_t == 0 and result.cells[0].uncovered_reason is None


def test_each_quarter_ranks_by_its_own_landed_price():
    cells = [cell(Q1, 100), cell(Q2, 100)]
    offers = [
        offer(1, "DE", {Q1: (100, 500), Q2: (100, 900)}),
        offer(2, "FR", {Q1: (100, 600), Q2: (100, 800)}),
    ]
    assert tonnes(run(cells, offers)) == {(1, Q1): D(100), (2, Q2): D(100)}


def test_an_offer_below_its_minimum_gets_nothing_and_its_volume_goes_to_the_next():
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "DE", {Q1: (80, 500)}),
        offer(2, "FR", {Q1: (100, 600)}, minimum="50"),  # would get 20 t
        offer(3, "FI", {Q1: (100, 700)}),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D(80), (3, Q1): D(20)}
    assert result.outcome(2).status == NONE
    note = result.outcome(2).notes[0]
    assert note.code == BELOW_MINIMUM and note.quarter is None
    assert note.kwargs == {"minimum_t": D(50), "would_get_t": D(20)}


def test_the_minimum_counts_over_all_quarters_of_the_offer():
    # 20 t in Q1 (after offer 1) and 30 t in Q2 make 50 t: the minimum is reached.
    cells = [cell(Q1, 100), cell(Q2, 30)]
    offers = [
        offer(1, "DE", {Q1: (80, 500)}),
        offer(2, "FR", {Q1: (100, 600), Q2: (100, 600)}, minimum="50"),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D(80), (2, Q1): D(20), (2, Q2): D(30)}
    assert result.outcome(2).status == PARTIAL


def test_a_minimum_above_the_open_demand_of_its_quarters_is_not_reachable():
    cells = [cell(Q1, 200), cell(Q2, 100)]
    offers = [offer(1, "DE", {Q1: (400, 500), Q2: (400, 500), Q3: (400, 500)}, minimum="500")]
    result = run(cells, offers)
    assert result.allocations == ()
    assert codes(result, 1)[0] == MINIMUM_UNREACHABLE
    assert result.outcome(1).notes[0].kwargs == {"minimum_t": D(500), "reachable_t": D(300)}
    assert NO_DEMAND in codes(result, 1)  # Q3 has no open demand
    assert {c.uncovered_reason for c in result.cells} == {NO_OFFERS}


def test_dropping_one_offer_below_its_minimum_can_lift_another_above_its_own():
    # Offer 2 gets 50 t of its minimum 60 t and is dropped; offer 3, which got nothing behind
    # it, then gets the 50 t and is above its own minimum of 30 t.
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "DE", {Q1: (50, 500)}),
        offer(2, "FR", {Q1: (100, 600)}, minimum="60"),
        offer(3, "FI", {Q1: (50, 700)}, minimum="30"),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D(50), (3, Q1): D(50)}
    assert codes(result, 2) == [BELOW_MINIMUM]


def test_the_offer_furthest_below_its_minimum_is_dropped_first():
    # Q1: offer 1 gets 40 of min 100 (40 %), offer 2 gets 60 of min 80 (75 %): offer 1 goes,
    # then offer 2 gets 100 t and reaches its minimum.
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "DE", {Q1: (40, 500)}, minimum="100"),
        offer(2, "FR", {Q1: (100, 600)}, minimum="80"),
    ]
    # offer 1's minimum is above its own volume in reach (40 t): not reachable at all.
    result = run(cells, offers)
    assert codes(result, 1) == [MINIMUM_UNREACHABLE]
    offers = [
        offer(1, "DE", {Q1: (40, 500), Q2: (100, 900)}, minimum="100"),
        offer(2, "FR", {Q1: (100, 600), Q2: (10, 500)}, minimum="80"),
        offer(3, "SE", {Q2: (100, 400)}),
    ]
    result = run([cell(Q1, 100), cell(Q2, 100)], offers)
    assert codes(result, 1)[0] == BELOW_MINIMUM
    assert tonnes(result) == {(2, Q1): D(100), (3, Q2): D(100)}


def test_the_diversification_limit_binds_and_the_next_origin_fills_the_rest():
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "CN", {Q1: (100, 500)}),
        offer(2, "CN", {Q1: (100, 550)}),
        offer(3, "AU", {Q1: (100, 700)}),
        offer(4, "DE", {Q1: (100, 900)}),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D(65), (3, Q1): D(35)}
    assert codes(result, 1) == [COUNTRY_CAP]
    note = result.outcome(1).notes[0]
    assert note.kwargs["country"] == "CN" and note.kwargs["limit"] == D("0.65")
    assert codes(result, 2) == [COUNTRY_CAP]
    assert result.cells[0].capped == ("CN",)
    assert result.cells[0].countries == (("AU", D(35)), ("CN", D(65)))


def test_the_limit_is_of_the_matched_volume_so_demand_stays_uncovered_when_needed():
    # 20 t from Germany: China may have at most 65 % of the matched volume, 20 x 65/35 t.
    cells = [cell(Q1, 100)]
    offers = [offer(1, "CN", {Q1: (100, 500)}), offer(2, "DE", {Q1: (20, 900)})]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D("37.142857"), (2, Q1): D(20)}
    c = result.cells[0]
    assert c.uncovered_t == D("42.857143") and c.uncovered_reason == CAPPED
    assert D("37.142857") / c.matched_t <= D("0.65")


def test_a_single_third_country_alone_gets_nothing():
    result = run([cell(Q1, 100)], [offer(1, "CN", {Q1: (100, 500)})])
    assert result.allocations == ()
    assert codes(result, 1) == [COUNTRY_CAP]
    assert result.cells[0].uncovered_reason == CAPPED


def test_two_third_countries_can_share_the_demand_within_the_limit():
    cells = [cell(Q1, 100)]
    offers = [offer(1, "CN", {Q1: (60, 500)}), offer(2, "AU", {Q1: (30, 600)})]
    # 60 of 90 t is 66.7 %: China is cut to 65 % of what is matched: 30 x 65/35 = 55.714285 t.
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D("55.714285"), (2, Q1): D(30)}


def test_dropping_an_offer_for_its_minimum_can_lower_a_third_countrys_cap():
    # First pass: CN 65 t (cap 65 % of 100 t), DE 35 t of its minimum 50 t, FR nothing. DE goes;
    # with only FR's 30 t beside it, China may have 30 x 65/35 = 55.714285 t, below its minimum
    # of 60 t: it goes too, and FR alone (EU, never capped) gets its 30 t.
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "CN", {Q1: (100, 500)}, minimum="60"),
        offer(2, "DE", {Q1: (50, 600)}, minimum="50"),
        offer(3, "FR", {Q1: (30, 700)}),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(3, Q1): D(30)}
    assert result.outcome(2).notes[0].kwargs == {"minimum_t": D(50), "would_get_t": D(35)}
    assert result.outcome(1).notes[0].kwargs == {
        "minimum_t": D(60),
        "would_get_t": D("55.714285"),
    }
    assert result.cells[0].uncovered_reason == OFFERS_EXHAUSTED


def test_eu_origins_are_never_capped():
    cells = [cell(Q1, 100)]
    result = run(cells, [offer(1, "DE", {Q1: (100, 500)}), offer(2, "AU", {Q1: (100, 600)})])
    assert tonnes(result) == {(1, Q1): D(100)}
    assert codes(result, 1) == [MATCHED]


def test_a_limit_of_one_switches_the_cap_off():
    result = run([cell(Q1, 100)], [offer(1, "CN", {Q1: (100, 500)})], limit=D(1))
    assert tonnes(result) == {(1, Q1): D(100)}


def test_ties_go_to_the_earlier_submission_then_to_the_lower_offer_id():
    cells = [cell(Q1, 100)]
    offers = [
        offer(7, "DE", {Q1: (100, 500)}, minutes=5),
        offer(9, "FR", {Q1: (100, 500)}, minutes=1),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(9, Q1): D(100)}
    assert codes(result, 9) == [MATCHED, TIE_WON]
    assert result.outcome(7).notes[1].kwargs == {"other": 9, "by": "submission"}
    assert codes(result, 7) == [DEMAND_EXHAUSTED, TIE_LOST]
    same_time = [
        offer(7, "DE", {Q1: (100, 500)}, minutes=1),
        offer(9, "FR", {Q1: (100, 500)}, minutes=1),
    ]
    result = run(cells, same_time)
    assert tonnes(result) == {(7, Q1): D(100)}
    assert result.outcome(9).notes[1].kwargs == {"other": 7, "by": "offer_id"}


def test_surplus_offers_stay_unmatched_and_short_supply_leaves_demand_open():
    cells = [cell(Q1, 100), cell(Q2, 500)]
    offers = [
        offer(1, "DE", {Q1: (300, 500), Q2: (200, 500)}),
        offer(2, "FR", {Q1: (300, 600), Q2: (100, 600)}),
    ]
    result = run(cells, offers)
    assert tonnes(result) == {(1, Q1): D(100), (1, Q2): D(200), (2, Q2): D(100)}
    q1, q2 = result.cells
    assert q1.uncovered_t == 0
    assert q2.uncovered_t == D(200) and q2.uncovered_reason == OFFERS_EXHAUSTED


def test_quarters_without_demand_or_price_are_explained_and_skipped():
    cells = [cell(Q1, 100), cell(Q2, 100)]
    result = run(cells, [offer(1, "DE", {Q1: (10, None), Q2: (10, 500), Q3: (10, 500)})])
    assert tonnes(result) == {(1, Q2): D(10)}
    assert codes(result, 1) == [NO_PRICE, MATCHED, NO_DEMAND]
    assert result.outcome(1).offered_t == D(10) and result.outcome(1).status == FULL


def test_materials_are_matched_apart():
    cells = [cell(Q1, 100, material=1), cell(Q1, 100, material=2)]
    offers = [
        offer(1, "DE", {Q1: (150, 500)}, material=1),
        offer(2, "DE", {Q1: (50, 400)}, material=2),
    ]
    assert tonnes(run(cells, offers)) == {(1, Q1): D(100), (2, Q1): D(50)}


def test_shuffled_input_gives_the_same_result():
    cells = [cell(q, 100 + i * 7, material=m) for m in (1, 2) for i, q in enumerate((Q1, Q2, Q3))]
    rng = random.Random(5)
    offers = [
        offer(
            i,
            rng.choice(["CN", "AU", "DE"]),
            {q: (rng.randint(10, 90), rng.choice([500, 510, 520])) for q in (Q1, Q2, Q3)},
            minimum=str(rng.choice([0, 0, 40, 120])),
            minutes=rng.randint(0, 3),
            material=rng.choice([1, 2]),
        )
        for i in range(1, 25)
    ]
    result = run(cells, offers)
    for seed in range(5):
        shuffled_cells, shuffled_offers = cells[:], offers[:]
        random.Random(seed).shuffle(shuffled_cells)
        random.Random(seed).shuffle(shuffled_offers)
        assert match(shuffled_cells, shuffled_offers) == result
    assert result.allocations  # the case is not trivial


def test_check_invariants_finds_a_broken_result():
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "CN", {Q1: (100, 500)}),
        offer(2, "DE", {Q1: (10, 600)}),
        offer(3, "FR", {Q1: (100, 700)}, minimum="70"),
    ]
    good = match(cells, offers)
    assert check_invariants(good, cells, offers) == []
    forged = MatchResult(
        limit=good.limit,
        allocations=(
            Allocation(1, 1, Q1, D(100)),
            Allocation(2, 1, Q1, D(40)),
            Allocation(3, 1, Q1, D(10)),
        ),
        offers=good.offers,
        cells=good.cells,
    )
    text = " | ".join(check_invariants(forged, cells, offers))
    assert "150 t over 100 t open" in text
    assert "offer 2 2027-Q1: 40 t over 10 t offered" in text
    assert "offer 3: 10 t below its minimum" in text
    assert "CN 100 of 150 t" in text  # 66.7 % > 65 %
    assert "another order gives another result" in text


@pytest.mark.parametrize(
    ("cells", "offers", "limit"),
    [
        ([cell(Q1, 1), cell(Q1, 2)], [], D("0.65")),
        ([cell(Q1, 1)], [offer(1, "DE", {}), offer(1, "FR", {})], D("0.65")),
        ([cell(Q1, "0.0000001")], [], D("0.65")),
        ([cell(Q1, -1)], [], D("0.65")),
        ([cell(Q1, 1)], [offer(1, "DE", {Q1: (1, 5)}, minimum="-1")], D("0.65")),
        ([cell(Q1, 1)], [offer(1, "DE", {Q1: (1, 0)})], D("0.65")),
        ([cell(Q1, 1)], [offer(1, "DE", {Q1: (1, "NaN")})], D("0.65")),
        ([cell(Q1, 1)], [], D(0)),
        ([cell(Q1, 1)], [], D("1.01")),
    ],
)
def test_bad_input_is_refused(cells, offers, limit):
    with pytest.raises(MatchingInputError):
        match(cells, offers, limit=limit)


def test_a_quarter_listed_twice_or_a_naive_submission_time_is_refused():
    twice = Offer(1, 1, 1, "DE", True, (OfferQuarter(Q1, D(1), D(1)),) * 2, T0)
    with pytest.raises(MatchingInputError, match="twice"):
        match([cell(Q1, 1)], [twice])
    naive = Offer(1, 1, 1, "DE", True, (OfferQuarter(Q1, D(1), D(1)),), T0.replace(tzinfo=None))
    with pytest.raises(MatchingInputError, match="time zone"):
        match([cell(Q1, 1)], [naive])


quarters = st.sampled_from([Q1, Q2, Q3])
amounts = st.decimals(min_value=0, max_value=500, places=3, allow_nan=False)


@st.composite
def calls(draw):
    cells = [
        cell(q, draw(amounts), material=m)
        for m in (1, 2)
        for q in draw(st.lists(quarters, unique=True, max_size=3))
    ]
    offers = []
    for offer_id in range(1, draw(st.integers(0, 10)) + 1):
        parts = {
            q: (draw(amounts), draw(st.sampled_from([None, 400, 500, 500, 600])))
            for q in draw(st.lists(quarters, unique=True, min_size=1, max_size=3))
        }
        offers.append(
            offer(
                offer_id,
                draw(st.sampled_from(["CN", "CN", "AU", "CL", "DE", "FR"])),
                parts,
                minimum=str(draw(st.sampled_from([0, 0, 50, 200, 600]))),
                minutes=draw(st.integers(0, 2)),
                material=draw(st.sampled_from([1, 2])),
            )
        )
    return cells, offers, draw(st.sampled_from([D("0.65"), D("0.5"), D("0.9"), D(1)]))


@settings(max_examples=200, deadline=None)
@given(calls())
def test_the_invariants_hold_for_any_call(call):
    cells, offers, limit = call
    result = match(cells, offers, limit=limit)
    assert check_invariants(result, cells, offers) == []
    # Without minimums and cap, each cell matches all it can: the lesser of demand and offers.
    if limit == 1 and all(o.minimum_t == 0 for o in offers):
        for c in result.cells:
            priced = sum(
                p.tonnes
                for o in offers
                if o.material_id == c.material_id
                for p in o.quarters
                if p.quarter == c.quarter and p.price_eur_t is not None
            )
            assert c.matched_t == min(c.open_t, priced)


@settings(max_examples=200, deadline=None)
@given(calls())
def test_with_the_demand_covered_no_cheaper_volume_is_left_unused(call):
    """Price order: in a covered cell without minimums, an offer left (partly) unused is either
    held by its country's cap or not cheaper than every matched offer of another origin."""
    cells, offers, limit = call
    offers = [
        Offer(
            o.offer_id,
            o.supplier_id,
            o.material_id,
            o.origin,
            o.origin_in_eu,
            o.quarters,
            o.submitted_at,
        )
        for o in offers
    ]
    result = match(cells, offers, limit=limit)
    got = tonnes(result)
    for c in result.cells:
        if c.uncovered_t:
            continue
        here = [
            (p.price_eur_t, o, p.tonnes)
            for o in offers
            if o.material_id == c.material_id
            for p in o.quarters
            if p.quarter == c.quarter and p.price_eur_t is not None and p.tonnes
        ]
        for price, o, offered in here:
            unused = offered - got.get((o.offer_id, c.quarter), 0)
            if not unused or o.origin in c.capped:
                continue
            for other_price, other, _t in here:
                if got.get((other.offer_id, c.quarter)) and other.origin != o.origin:
                    assert other_price <= price


@pytest.mark.parametrize("language", ["de", "en"])
def test_explanations_read_in_both_languages(language):
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "CN", {Q1: (100, "1234.5")}),
        offer(2, "DE", {Q1: (1000, 2000)}, minutes=1),
        offer(3, "FR", {Q1: (1000, 1500)}, minutes=2, minimum="50"),
    ]
    result = match(cells, offers)
    with translation.override(language):
        cn = explain.describe(result.outcome(1))
        de = explain.describe(result.outcome(2))
        fr = explain.describe(result.outcome(3))
        supplier = explain.describe(result.outcome(2), audience=explain.SUPPLIER)
        headline = explain.summary(result.outcome(1))
        uncovered = explain.describe_cell(result.cells[0], result.limit)
    if language == "de":
        assert cn == [
            "2027-Q1: gekürzt auf 65\xa0t von 100\xa0t, damit CN bei 65\xa0% der zugeordneten "
            "Menge bleibt (Diversifizierungsgrenze)."
        ]
        assert headline == "Teilweise zugeordnet: 65\xa0t von 100\xa0t."
        assert "Mindestmenge von 50\xa0t" in fr[0]
        assert "2.000,00\xa0EUR/t" in de[0]
    else:
        assert cn == [
            "2027-Q1: cut to 65\xa0t of 100\xa0t to keep CN at 65\xa0% of the matched volume "
            "(diversification limit)."
        ]
        assert headline == "Partly matched: 65\xa0t of 100\xa0t."
        assert "minimum volume of 50\xa0t" in fr[0]
        assert "2,000.00\xa0EUR/t" in de[0]
    assert len(de) == 1 and len(fr) == 1
    assert len(supplier) == 1 and "2.000" not in supplier[0] and "2,000" not in supplier[0]
    assert uncovered is None


def test_a_supplier_reads_no_tie_no_rank_and_no_other_offer():
    cells = [cell(Q1, 100)]
    offers = [
        offer(1, "DE", {Q1: (100, 500)}, minutes=0),
        offer(2, "FR", {Q1: (100, 500)}, minutes=1),
        offer(3, "SE", {Q1: (50, 400)}, minutes=1),
    ]
    result = match(cells, offers)
    with translation.override("en"):
        desk = explain.describe(result.outcome(2))
        supplier = explain.describe(result.outcome(2), audience=explain.SUPPLIER)
    assert any("offer 1" in line for line in desk) and any("place 3 of 3" in line for line in desk)
    assert supplier == [
        "2027-Q1: not matched: offers ranked before it (by price, then submission time) covered "
        "the demand."
    ]


def test_every_code_has_a_sentence():
    cells = [cell(Q1, 100), cell(Q2, 100)]
    offers = [
        offer(1, "CN", {Q1: (100, 500), Q3: (5, 5)}),
        offer(2, "DE", {Q1: (20, 600), Q2: (10, None)}),
        offer(3, "DE", {Q2: (20, 600)}, minimum="1000"),
        offer(4, "FR", {Q2: (100, 600)}, minimum="70", minutes=3),
        offer(7, "SE", {Q2: (50, 550)}),
        offer(5, "FR", {Q2: (60, 600)}, minutes=4),
        offer(6, "FR", {Q2: (60, 600)}, minutes=4),
    ]
    result = match(cells, offers)
    seen = set()
    for outcome in result.offers:
        for note in outcome.notes:
            seen.add(note.code)
            assert explain.describe_note(note)
        explain.summary(outcome)
    assert seen >= {COUNTRY_CAP, NO_DEMAND, NO_PRICE, MINIMUM_UNREACHABLE, BELOW_MINIMUM}
    assert seen >= {MATCHED, DEMAND_EXHAUSTED, TIE_WON, TIE_LOST}
    with translation.override("en"):
        uncovered = explain.describe_cell(result.cells[0], result.limit)
    assert uncovered == "42.857\xa0t left uncovered to keep CN at 65\xa0% of the matched volume."
    with pytest.raises(ValueError, match="unknown"):
        explain.describe_note(Note("nonsense"))


def test_landed_price_uses_the_contract_pricing_rule_per_tonne_in_eur():
    # docs/pricing.md's example: index in USD/t, offer priced in EUR/kg, QP Q-1, premium +0.50:
    # 19.2037 EUR/kg = 19,203.70 EUR/t; freight of 85 EUR/t from an FOB port on top.
    terms = SimpleNamespace(
        pricing_type="index",
        fixed_price=None,
        currency="EUR",
        price_unit="kg",
        quotational_period="Q-1",
        premium=D("0.50"),
        floor=D("19.00"),
        cap=None,
        index=SimpleNamespace(currency="USD", unit="t"),
    )
    values = [D("19800"), D("20200"), D("20600")]
    rates = {"USD": D("1.08")}
    assert pricing.landed_price_eur(
        terms, Quarter(2027, 3), index_values=values, per_eur=rates
    ) == D("19203.7000")
    assert pricing.landed_price_eur(
        terms, Quarter(2027, 3), index_values=values, per_eur=rates, freight_eur_t=D("85")
    ) == D("19288.7000")
    fixed = SimpleNamespace(
        pricing_type="fixed", fixed_price=D("27000"), currency="USD", price_unit="t"
    )
    assert pricing.landed_price_eur(fixed, Q1, per_eur=rates) == D("25000.0000")
    with pytest.raises(pricing.MissingPrice):
        pricing.landed_price_eur(fixed, Q1, per_eur={})
    with pytest.raises(pricing.MissingPrice):
        pricing.landed_price_eur(terms, Q1, index_values=[], per_eur=rates)
    with pytest.raises(ValueError, match="freight"):
        pricing.landed_price_eur(fixed, Q1, per_eur=rates, freight_eur_t=D("-1"))


def test_benchmark_matching_checks_the_invariants_and_reports_the_time(capsys):
    # A small call: the full size (2,000 offers, 600 cells) is timed by the command itself.
    call_command(BenchmarkMatching(), offers=300, materials=5, quarters=8, repeat=1)
    out = capsys.readouterr().out
    assert "300 offers against 40 cells" in out
    assert "against 1 s" in out and "invariants hold; under 1 s" in out


def test_benchmark_matching_refuses_silly_sizes():
    with pytest.raises(CommandError):
        call_command(BenchmarkMatching(), offers=0)


def _most_coverable(eu, available, limit, demand):
    """The most a cell can match with each third country within ``limit`` of the total, found
    by bisection (independently of the engine's breakpoints): E is feasible when
    E <= eu + sum of min(available, limit x E)."""
    low, high = Decimal(0), demand
    if eu + sum(min(a, limit * high) for a in available) >= high:
        return high
    for _ in range(40):  # within 500 t / 2**40 < 1e-9 t
        middle = (low + high) / 2
        if eu + sum(min(a, limit * middle) for a in available) >= middle:
            low = middle
        else:
            high = middle
    return low


@settings(max_examples=100, deadline=None)
@given(calls())
def test_the_limit_leaves_no_more_demand_uncovered_than_it_must(call):
    """Without minimums, every cell matches the most the limit allows (to the micro-tonne per
    third country, for rounding)."""
    cells, offers, limit = call
    offers = [dataclasses.replace(o, minimum_t=Decimal(0)) for o in offers]
    result = match(cells, offers, limit=limit)
    for c in result.cells:
        parts = [
            (o, p.tonnes)
            for o in offers
            if o.material_id == c.material_id
            for p in o.quarters
            if p.quarter == c.quarter and p.price_eur_t is not None
        ]
        eu = sum((t for o, t in parts if o.origin_in_eu), Decimal(0))
        third = defaultdict(Decimal)
        for o, t in parts:
            if not o.origin_in_eu:
                third[o.origin] += t
        best = _most_coverable(eu, list(third.values()), limit, c.open_t)
        # Never more than feasible: check_invariants holds the limit.
        assert c.matched_t >= best - Decimal("0.000001") * (len(third) + 1)


def test_benchmark_matching_fails_over_the_time_limit_or_on_a_broken_invariant(monkeypatch):
    from market.management.commands import benchmark_matching

    small = {"offers": 50, "materials": 2, "quarters": 4, "repeat": 1}
    monkeypatch.setattr(benchmark_matching, "TIME_LIMIT_S", 1e-9)
    with pytest.raises(CommandError, match="not under 1 s"):
        call_command(BenchmarkMatching(), **small)
    monkeypatch.setattr(benchmark_matching, "TIME_LIMIT_S", 1.0)
    monkeypatch.setattr(benchmark_matching, "check_invariants", lambda *a: ["cell 1 over"])
    with pytest.raises(CommandError, match="invariants fail: cell 1 over"):
        call_command(BenchmarkMatching(), **small)


def test_consecutive_quarters_with_the_same_reason_read_as_one_sentence():
    """Twenty identical quarters are one line ("2027-Q1–2027-Q3: …"); a quarter with another
    figure, or after a gap, starts a new one."""
    q4 = Q3 + 1
    cells = [cell(Q1, 100), cell(Q2, 100), cell(Q3, 100), cell(q4, 100)]
    offers = [offer(1, "DE", {Q1: (10, 500), Q2: (10, 500), Q3: (10, 500), q4: (20, 500)})]
    result = match(cells, offers)
    with translation.override("en"):
        lines = explain.describe(result.outcome(1))
    assert len(lines) == 2
    assert lines[0].startswith("2027-Q1–2027-Q3: ") and "10\xa0t" in lines[0]
    assert lines[1].startswith("2027-Q4: ") and "20\xa0t" in lines[1]
