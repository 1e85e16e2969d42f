"""Re-published positions: a reader who kept an earlier position set of the round must not get a
firm's figure back by subtracting it from the new one (docs/disclosure.md, "Re-published
positions"). Hand-computed cases with the default thresholds (5 firms, p = 0.10)."""

from decimal import Decimal

from django.utils import translation

from industry.models import DemandRound, RoundState
from tests.tradinghouse.conftest import cell, q
from tradinghouse import services
from tradinghouse.disclosure import (
    CellChange,
    CellInput,
    ChangeStats,
    PartStats,
    RollupInput,
    change_passes,
    decide,
    present_cell,
)
from tradinghouse.models import ElementCell, HiddenReason, PositionSet

D = Decimal
P = D("0.10")
LIOH = "lithium-hydroxide"


def stats(*firm_changes):
    """The statistics of per-firm changes as the aggregation computes them."""
    sizes = sorted((abs(D(str(c))) for c in firm_changes if c), reverse=True) + [D(0), D(0)]
    net = sum((D(str(c)) for c in firm_changes), D(0))
    return ChangeStats(net, PartStats(sum(sizes), sizes[0], sizes[1], len(sizes) - 2))


def reopen(round):
    """The desk reopens the round (members change their demand) ..."""
    DemandRound.objects.filter(pk=round.pk).update(state=RoundState.OPEN)


def close_and_aggregate(round, aggregate):
    """... closes it again, and the aggregation publishes a new position set."""
    DemandRound.objects.filter(pk=round.pk).update(state=RoundState.CLOSED)
    job = aggregate(round)
    assert job.state == "succeeded", job.error
    return job


def set_tonnes(line, tonnes):
    line.quantity = line.quantity_t = D(str(tonnes))
    line.save()


def member_view(c):
    return present_cell(c, trustee=False)


def element(round, symbol, period):
    return ElementCell.objects.get(
        position_set__round=round, position_set__is_current=True, element=symbol, quarter=q(period)
    )


def lithium_row(make_round, firms, add_line, aggregate, commitment="indicative"):
    """Six firms, lithium hydroxide 2027: Q1 1,000 t (150 + 5 x 170), Q2 600 t, Q3 1,200 t,
    Q4 1,800 t (6 x 100, 200, 300): every cell disclosed in the first published set."""
    r = make_round(first="2027-Q1", last="2027-Q4")
    lines = {}
    for i, firm in enumerate(firms[:6]):
        lines[i] = add_line(r, firm, LIOH, "2027-Q1", 150 if i == 0 else 170, commitment=commitment)
        for period, tonnes in (("2027-Q2", 100), ("2027-Q3", 200), ("2027-Q4", 300)):
            add_line(r, firm, LIOH, period, tonnes, commitment=commitment)
    close_and_aggregate(r, aggregate)
    first = cell(r, LIOH, "2027-Q1")
    assert (first.demand_t, first.contributors, first.disclosed) == (D(1000), 6, True)
    return r, lines


# ---- the rule on its own -----------------------------------------------------------------------


def test_a_change_passes_like_a_cell_of_its_own():
    assert change_passes(stats(), min_firms=5, p=P)  # nothing changed
    assert change_passes(stats(40, -40), min_firms=5, p=P)  # the published value stayed the same
    assert not change_passes(stats(40), min_firms=5, p=P)  # one firm: 40 t is that firm's change
    assert not change_passes(stats(10, 10, 10, 10), min_firms=5, p=P)  # four firms are too few
    assert change_passes(stats(10, 10, 10, 10, 10), min_firms=5, p=P)
    # 400 + 1 + 1 + 1 + 1: 404 - 400 - 1 = 3 < 0.1 x 400, the largest change dominates
    assert not change_passes(stats(400, 1, 1, 1, 1), min_firms=5, p=P)
    # the p% rule works on absolute changes: cuts count as much as additions
    assert change_passes(stats(-10, 10, -10, 10, 10), min_firms=5, p=P)


def test_decide_hides_a_changed_cell_and_its_complement_and_the_rollup():
    five = PartStats(D(1000), D(200), D(200), 6)
    changed = CellChange(1, total=stats(40), firm=stats(), indicative=stats(40), parts_shown=True)
    cells = [
        CellInput(
            7, quarter, five, PartStats.empty(), five, changes=[changed] if quarter == 1 else []
        )
        for quarter in (1, 2, 3)
    ]
    rollups = [RollupInput("Li", quarter, five, {7}) for quarter in (1, 2, 3)]
    rollups.append(RollupInput("Nd", 1, five, set(), changes=[stats(5)]))

    outcomes, rollup_reasons = decide(cells, rollups, min_firms=5, p=P)

    assert outcomes[(7, 1)].hidden_reason == HiddenReason.CHANGE
    assert outcomes[(7, 2)].hidden_reason == HiddenReason.COMPLEMENTARY  # earliest on ties
    assert outcomes[(7, 3)].disclosed
    assert rollup_reasons[("Li", 1)] == HiddenReason.PART_HIDDEN
    assert rollup_reasons[("Nd", 1)] == HiddenReason.CHANGE


# ---- re-published position sets ------------------------------------------------------------


def test_one_firms_change_stays_hidden_and_the_row_hides_a_complement(
    make_round, firms, add_line, aggregate
):
    r, _lines = lithium_row(make_round, firms, add_line, aggregate)
    first_set = PositionSet.objects.get(round=r, is_current=True)

    reopen(r)
    add_line(r, firms[0], LIOH, "2027-Q1", 40, grade="Nachtrag")
    close_and_aggregate(r, aggregate)

    # 1,040 t from 6 firms passes the rule by itself, but 1,040 - 1,000 is firm 0's change.
    changed = cell(r, LIOH, "2027-Q1")
    assert (changed.demand_t, changed.contributors) == (D(1040), 6)
    assert not changed.disclosed and changed.hidden_reason == HiddenReason.CHANGE
    seen = member_view(changed)
    assert (seen.demand_t, seen.contributors, seen.open_t, seen.coverage) == (None,) * 4
    # The row's smallest shown cell is hidden too, so the row total cannot give Q1 back.
    assert cell(r, LIOH, "2027-Q2").hidden_reason == HiddenReason.COMPLEMENTARY
    assert cell(r, LIOH, "2027-Q3").disclosed and cell(r, LIOH, "2027-Q4").disclosed
    # The lithium roll-up cell changed by the same one firm; Q2's material cell is hidden.
    assert element(r, "Li", "2027-Q1").hidden_reason == HiddenReason.CHANGE
    assert element(r, "Li", "2027-Q2").hidden_reason == HiddenReason.PART_HIDDEN
    assert element(r, "Li", "2027-Q3").disclosed
    # The first set is kept: a later set must still be compared with what it disclosed.
    assert PositionSet.objects.filter(pk=first_set.pk, is_current=False).exists()
    with translation.override("de"):
        label = str(HiddenReason.CHANGE.label)
    assert label and label != "its change since an earlier publication would reveal a firm"


def test_a_change_by_five_firms_that_passes_the_p_rule_is_shown(
    make_round, firms, add_line, aggregate
):
    r, _lines = lithium_row(make_round, firms, add_line, aggregate)

    reopen(r)
    for firm in firms[:5]:
        add_line(r, firm, LIOH, "2027-Q1", 10, grade="Nachtrag")
    close_and_aggregate(r, aggregate)

    shown = cell(r, LIOH, "2027-Q1")
    assert (shown.demand_t, shown.disclosed, shown.hidden_reason) == (D(1050), True, "")
    assert member_view(shown).demand_t == D(1050)
    assert all(cell(r, LIOH, f"2027-Q{i}").disclosed for i in (2, 3, 4))


def test_a_change_by_five_firms_dominated_by_one_stays_hidden(
    make_round, firms, add_line, aggregate
):
    r, _lines = lithium_row(make_round, firms, add_line, aggregate)

    reopen(r)
    for firm, tonnes in zip(firms[:5], (400, 1, 1, 1, 1), strict=True):
        add_line(r, firm, LIOH, "2027-Q1", tonnes, grade="Nachtrag")
    close_and_aggregate(r, aggregate)

    # 1,404 t passes by itself (1,404 - 550 - 171 >= 55), its change of 404 t does not.
    hidden = cell(r, LIOH, "2027-Q1")
    assert (hidden.demand_t, hidden.hidden_reason) == (D(1404), HiddenReason.CHANGE)


def test_a_cell_hidden_before_and_shown_now_is_fine(make_round, firms, add_line, aggregate):
    r = make_round(first="2027-Q1", last="2027-Q4")
    for firm in firms[:4]:
        add_line(r, firm, LIOH, "2027-Q1", 100)
    for firm in firms[:6]:
        for period in ("2027-Q2", "2027-Q3"):
            add_line(r, firm, LIOH, period, 100)
    close_and_aggregate(r, aggregate)
    assert cell(r, LIOH, "2027-Q1").hidden_reason == HiddenReason.FEW_FIRMS

    reopen(r)
    add_line(r, firms[4], LIOH, "2027-Q1", 100)
    close_and_aggregate(r, aggregate)

    # Nobody saw Q1 before: the new value is compared with nothing.
    shown = cell(r, LIOH, "2027-Q1")
    assert (shown.demand_t, shown.disclosed) == (D(500), True)
    assert cell(r, LIOH, "2027-Q2").disclosed and cell(r, LIOH, "2027-Q3").disclosed
    # The first set disclosed Q3 (Q2 was its complement), unchanged now: no longer needed.
    assert PositionSet.objects.filter(round=r).count() == 1


def test_every_earlier_set_that_showed_the_cell_counts(make_round, firms, add_line, aggregate):
    r, _lines = lithium_row(make_round, firms, add_line, aggregate)
    first_set = PositionSet.objects.get(round=r, is_current=True).pk

    reopen(r)
    add_line(r, firms[0], LIOH, "2027-Q1", 40, grade="Nachtrag")
    close_and_aggregate(r, aggregate)
    assert cell(r, LIOH, "2027-Q1").hidden_reason == HiddenReason.CHANGE

    # Against the second set (which hid Q1) only firm 1 changed; against the first set, which a
    # reader may have kept, firms 0 and 1 did: 1,080 - 1,000 is still two firms' change.
    reopen(r)
    add_line(r, firms[1], LIOH, "2027-Q1", 40, grade="Nachtrag")
    close_and_aggregate(r, aggregate)
    assert cell(r, LIOH, "2027-Q1").hidden_reason == HiddenReason.CHANGE
    assert PositionSet.objects.filter(pk=first_set).exists()

    # Three more firms change: five firms since the first set, 40 + 40 + 3 x 10, p% passes.
    reopen(r)
    for firm in firms[2:5]:
        add_line(r, firm, LIOH, "2027-Q1", 10, grade="Nachtrag")
    close_and_aggregate(r, aggregate)
    shown = cell(r, LIOH, "2027-Q1")
    assert (shown.demand_t, shown.disclosed) == (D(1110), True)

    # Now firm 5 alone changes: against the set just published that is one firm again.
    reopen(r)
    add_line(r, firms[5], LIOH, "2027-Q1", 40, grade="Nachtrag")
    close_and_aggregate(r, aggregate)
    assert cell(r, LIOH, "2027-Q1").hidden_reason == HiddenReason.CHANGE


def test_a_cell_whose_published_value_stays_the_same_is_shown(
    make_round, firms, add_line, aggregate
):
    r, lines = lithium_row(make_round, firms, add_line, aggregate)

    reopen(r)
    set_tonnes(lines[0], 190)  # firm 0: +40 t
    set_tonnes(lines[1], 130)  # firm 1: -40 t
    close_and_aggregate(r, aggregate)

    # Subtracting gives 0: nothing about either firm.
    assert cell(r, LIOH, "2027-Q1").demand_t == D(1000)
    assert cell(r, LIOH, "2027-Q1").disclosed


def test_a_changed_firm_part_hides_the_parts_but_not_the_unchanged_total(
    make_round, firms, add_line, aggregate
):
    r, lines = lithium_row(make_round, firms, add_line, aggregate, commitment="firm")
    before = cell(r, LIOH, "2027-Q1")
    assert before.firm_disclosed and before.indicative_disclosed
    assert member_view(before).demand_firm_t == D(1000)

    # Firm 0 turns 40 of its 150 firm tonnes into indicative ones: the total stays 1,000 t.
    reopen(r)
    set_tonnes(lines[0], 110)
    add_line(r, firms[0], LIOH, "2027-Q1", 40, commitment="indicative", grade="Nachtrag")
    close_and_aggregate(r, aggregate)

    after = cell(r, LIOH, "2027-Q1")
    assert (after.demand_t, after.demand_firm_t) == (D(1000), D(960))
    assert after.disclosed and not after.firm_disclosed and not after.indicative_disclosed
    seen = member_view(after)
    assert seen.demand_t == D(1000)
    assert (seen.demand_firm_t, seen.demand_indicative_t) == (None, None)


def test_a_rollup_whose_change_reveals_a_firm_is_hidden_though_its_materials_are_shown(
    make_round, firms, add_line, aggregate
):
    r = make_round(materials=(LIOH, "lithium-carbonate"), first="2027-Q1", last="2027-Q1")
    carbonate = {}
    for firm in firms[:6]:
        add_line(r, firm, LIOH, "2027-Q1", 100)
        carbonate[firm.pk] = add_line(r, firm, "lithium-carbonate", "2027-Q1", 100)
    close_and_aggregate(r, aggregate)
    assert element(r, "Li", "2027-Q1").disclosed

    # Firm 0 adds 50 t of each; firms 1-4 add 20 t hydroxide and cut 17.6 t carbonate. Each
    # material's change passes (5 firms, none dominates), but in contained lithium firms 1-4
    # changed by about 0.002 t each: the roll-up's change is firm 0's.
    reopen(r)
    add_line(r, firms[0], LIOH, "2027-Q1", 50, grade="Nachtrag")
    add_line(r, firms[0], "lithium-carbonate", "2027-Q1", 50, grade="Nachtrag")
    for firm in firms[1:5]:
        add_line(r, firm, LIOH, "2027-Q1", 20, grade="Nachtrag")
        set_tonnes(carbonate[firm.pk], D("82.4"))
    close_and_aggregate(r, aggregate)

    assert cell(r, LIOH, "2027-Q1").disclosed
    assert cell(r, "lithium-carbonate", "2027-Q1").disclosed
    assert element(r, "Li", "2027-Q1").hidden_reason == HiddenReason.CHANGE


def test_a_change_of_contracted_volume_only_hides_nothing(
    make_round, firms, add_line, aggregate, monkeypatch
):
    r, _lines = lithium_row(make_round, firms, add_line, aggregate)
    lioh = cell(r, LIOH, "2027-Q1").material_id
    supply = {(lioh, q("2027-Q1")): (D(400), D(100))}
    monkeypatch.setattr(services, "supply_for_round", lambda round_id: supply)

    # contracts asks for a refresh after a contract changed: the demand is the same.
    job = aggregate(r)

    assert job.state == "succeeded", job.error
    refreshed = cell(r, LIOH, "2027-Q1")
    assert (refreshed.demand_t, refreshed.contracted_t, refreshed.allocated_t) == (
        D(1000),
        D(400),
        D(100),
    )
    assert refreshed.disclosed
    assert member_view(refreshed).open_t == D(600)
    assert all(cell(r, LIOH, f"2027-Q{i}").disclosed for i in (2, 3, 4))
    assert element(r, "Li", "2027-Q1").disclosed
    # The earlier set showed nothing the new one does not show unchanged: it is removed.
    assert PositionSet.objects.filter(round=r).count() == 1


def test_the_comparison_takes_the_same_queries_whatever_the_number_of_cells(
    make_round, firms, add_line, aggregate
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_of_third_publication(periods):
        r = make_round(first="2027-Q1", last="2028-Q4")
        for i, firm in enumerate(firms[:6]):
            for period in periods:
                add_line(r, firm, LIOH, period, 100 + i)
        close_and_aggregate(r, aggregate)
        for firm in firms[:2]:  # each time one firm changes: the first set must be kept
            reopen(r)
            add_line(r, firm, LIOH, periods[0], 40, grade="Nachtrag")
            with CaptureQueriesContext(connection) as captured:
                close_and_aggregate(r, aggregate)
        # The second set showed nothing the third does not show unchanged: it is removed.
        assert PositionSet.objects.filter(round=r).count() == 2
        return len(captured)

    assert queries_of_third_publication(["2027-Q1"]) == queries_of_third_publication(
        ["2027-Q1", "2027-Q2", "2027-Q3", "2028-Q1", "2028-Q2", "2028-Q4"]
    )
