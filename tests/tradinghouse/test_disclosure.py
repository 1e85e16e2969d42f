"""Disclosure control: minimum firms, the p% rule, complementary suppression, the roll-up, the
firm/indicative parts and thresholds from settings."""

from decimal import Decimal

import pytest

from tests.tradinghouse.conftest import cell, q
from tradinghouse.disclosure import (
    CellInput,
    Decision,
    PartStats,
    RollupInput,
    decide,
    part_passes,
    primary_reason,
    suppress_complementary,
)
from tradinghouse.models import ElementCell

D = Decimal
P = D("0.10")


def part(*firm_tonnes):
    ordered = sorted((D(str(t)) for t in firm_tonnes), reverse=True) + [D(0), D(0)]
    return PartStats(sum(ordered), ordered[0], ordered[1], len(firm_tonnes))


def test_fewer_than_the_minimum_firms_is_hidden():
    assert primary_reason(part(10, 10, 10, 10), min_firms=5, p=P) == "few_firms"
    assert primary_reason(part(10, 10, 10, 10, 10), min_firms=5, p=P) == ""


def test_p_rule_hides_a_cell_where_the_second_firm_could_estimate_the_first():
    # total - largest - second = 3 < 0.1 x 40 = 4: hidden
    assert primary_reason(part(40, 2, 1, 1, 1), min_firms=5, p=P) == "dominance"
    # exactly at the threshold (4 = 0.1 x 40) it passes: the rule is "less than"
    assert primary_reason(part(40, 2, 2, 1, 1), min_firms=5, p=P) == ""


def test_a_part_nobody_entered_may_be_shown():
    assert part_passes(PartStats.empty(), min_firms=5, p=P)
    assert not part_passes(part(1, 1, 1), min_firms=5, p=P)


def test_complementary_hides_the_smallest_shown_cell_earliest_on_ties():
    row = [
        Decision("A", 1, D(5), "few_firms"),
        Decision("A", 2, D(7)),
        Decision("A", 3, D(7)),
        Decision("A", 4, D(9)),
    ]
    other = [
        Decision("B", 1, D(1), "few_firms"),
        Decision("B", 2, D(1), "dominance"),
        Decision("B", 3, D(1)),
    ]
    suppress_complementary(row + other)
    assert [d.reason for d in row] == ["few_firms", "complementary", "", ""]
    assert [d.reason for d in other] == [
        "few_firms",
        "dominance",
        "",
    ]  # two hidden already: nothing more


def test_a_lone_hidden_cell_without_shown_neighbours_stays_alone():
    row = [Decision("A", 1, D(5), "few_firms")]
    suppress_complementary(row)
    assert row[0].reason == "few_firms"


def test_rollup_is_hidden_with_any_hidden_material_and_gets_its_own_complementary_cell():
    five = part(10, 10, 10, 10, 10)
    cells = [
        CellInput(1, 8100, five, five, PartStats.empty()),
        CellInput(2, 8100, part(1, 1), part(1, 1), PartStats.empty()),
        CellInput(1, 8101, five, five, PartStats.empty()),
        CellInput(1, 8102, five, five, PartStats.empty()),
    ]
    big = part(10, 10, 10, 10, 10, 10)
    rollups = [
        RollupInput("Li", 8100, big, {1, 2}),
        RollupInput("Li", 8101, part(8, 8, 8, 8, 8), {1}),
        RollupInput("Li", 8102, big, {1}),
    ]
    outcomes, rollup = decide(cells, rollups, min_firms=5, p=P)
    # material 2 is hidden (2 firms); material 1 has no hidden cell in its row
    assert outcomes[(2, 8100)].hidden_reason == "few_firms"
    assert all(outcomes[(1, qq)].disclosed for qq in (8100, 8101, 8102))
    # the roll-up cell holding material 2 is hidden; then its row needs a complementary cell: the
    # smallest shown roll-up cell (8101: 40 t)
    assert rollup == {("Li", 8100): "part_hidden", ("Li", 8101): "complementary", ("Li", 8102): ""}
    # firm part: 5 firms, indicative part: nobody -> the split may be shown
    assert outcomes[(1, 8101)].firm_disclosed and outcomes[(1, 8101)].indicative_disclosed


def test_the_rich_round_hides_exactly_what_the_rules_say(rich_round):
    r = rich_round
    expected = {
        ("lithium-hydroxide", "2027-Q1"): (False, "complementary", False),
        ("lithium-hydroxide", "2027-Q2"): (True, "", False),
        ("lithium-hydroxide", "2027-Q3"): (True, "", True),
        ("lithium-hydroxide", "2027-Q4"): (True, "", False),
        ("lithium-hydroxide", "2028-Q1"): (False, "few_firms", False),
        ("terbium-oxide", "2028-Q3"): (False, "dominance", False),
    }
    for (material, period), (disclosed, reason, parts) in expected.items():
        c = cell(r, material, period)
        assert (c.disclosed, c.hidden_reason, c.firm_disclosed and c.indicative_disclosed) == (
            disclosed,
            reason,
            parts,
        ), (material, period)
    assert cell(r, "lithium-hydroxide", "2027-Q3").demand_t == D("94")
    reasons = dict(
        ElementCell.objects.filter(position_set__round=r, position_set__is_current=True)
        .values_list("quarter", "hidden_reason")
        .filter(element="Li")
    )
    assert reasons == {
        q("2027-Q1"): "part_hidden",
        q("2027-Q2"): "",
        q("2027-Q3"): "",
        q("2027-Q4"): "",
        q("2028-Q1"): "few_firms",
    }
    assert (
        ElementCell.objects.get(
            position_set__round=r, position_set__is_current=True, element="Tb"
        ).hidden_reason
        == "dominance"
    )


@pytest.mark.parametrize(
    ("min_firms", "p", "q1", "q2028", "tb"),
    [
        (3, "0.10", (True, ""), (True, ""), (False, "dominance")),
        (5, "0.01", (False, "complementary"), (False, "few_firms"), (True, "")),
        (9, "0.10", (False, "few_firms"), (False, "few_firms"), (False, "few_firms")),
    ],
)
def test_thresholds_come_from_settings(
    settings, rich_round, aggregate, min_firms, p, q1, q2028, tb
):
    settings.DISCLOSURE_MIN_FIRMS = min_firms
    settings.DISCLOSURE_P = p
    aggregate(rich_round)
    r = rich_round
    assert (
        cell(r, "lithium-hydroxide", "2027-Q1").disclosed,
        cell(r, "lithium-hydroxide", "2027-Q1").hidden_reason,
    ) == q1
    assert (
        cell(r, "lithium-hydroxide", "2028-Q1").disclosed,
        cell(r, "lithium-hydroxide", "2028-Q1").hidden_reason,
    ) == q2028
    assert (
        cell(r, "terbium-oxide", "2028-Q3").disclosed,
        cell(r, "terbium-oxide", "2028-Q3").hidden_reason,
    ) == tb
    ps = r.position_sets.get(is_current=True)
    assert (ps.min_firms, ps.p_rule) == (min_firms, D(p))
