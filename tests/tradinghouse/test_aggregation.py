"""The aggregation job on hand-computed cases: units, the annual spread, excluded and withdrawn
lines, replacements, parts, the element roll-up, idempotence, the lock, failures and retries."""

from decimal import Decimal

import pytest
from django.db import DatabaseError

from industry.models import DemandRound, RoundState
from rohstoff.core.chemistry import LCE_PER_LITHIUM
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import AuditEvent, Job, Material
from tests.tradinghouse.conftest import cell, q
from tradinghouse import services
from tradinghouse.aggregation import publishing
from tradinghouse.models import ElementCell, FirmPosition, PositionCell, PositionSet

D = Decimal
NOTHING_PUBLISHED = ("nothing was published.", "nichts wurde veröffentlicht.")  # en or de


def current(round):
    return PositionSet.objects.get(round=round, is_current=True)


def test_units_convert_to_tonnes_and_add_up(make_round, firms, add_line, aggregate):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "12.5", "t")
    add_line(r, firms[1], "lithium-hydroxide", "2027-Q1", "1500", "kg")
    # 1000 lb = 453.59237 kg = 0.45359237 t -> 0.453592 t (6 places, half to even)
    add_line(r, firms[2], "lithium-hydroxide", "2027-Q1", "1000", "lb")

    job = aggregate(r)

    assert job.state == "succeeded", job.error
    c = cell(r, "lithium-hydroxide", "2027-Q1")
    assert c.demand_t == D("14.453592")
    assert c.contributors == 3
    assert c.largest_share == (D("12.5") / D("14.453592")).quantize(D("0.000001"))
    fp = FirmPosition.objects.get(position_set=current(r), organisation=firms[2])
    assert fp.demand_t == D("0.453592")


def test_a_year_spreads_over_its_quarters_the_fourth_taking_the_remainder(
    make_round, firms, add_line, aggregate
):
    r = make_round()
    # 10.000002 / 4 = 2.5000005 -> 2.500000 (half to even), Q4 = 10.000002 - 3 x 2.5 = 2.500002
    add_line(r, firms[0], "lithium-hydroxide", "2027", "10.000002")
    # 0.000006 / 4 = 0.0000015 -> 0.000002 (half to even, up), Q4 = 0.000006 - 0.000006 = 0
    add_line(r, firms[1], "lithium-carbonate", "2028", "0.000006")
    # 0.00001 / 4 = 0.0000025 -> 0.000002 (half to even, down), Q4 = 0.000004
    add_line(r, firms[2], "ndpr-oxide", "2028", "0.00001")

    aggregate(r)

    assert [cell(r, "lithium-hydroxide", f"2027-Q{i}").demand_t for i in (1, 2, 3, 4)] == [
        D("2.500000"),
        D("2.500000"),
        D("2.500000"),
        D("2.500002"),
    ]
    assert [cell(r, "lithium-carbonate", f"2028-Q{i}").demand_t for i in (1, 2, 3)] == [
        D("0.000002")
    ] * 3
    # A cell exists only where demand > 0: the fourth quarter got nothing.
    assert not PositionCell.objects.filter(
        position_set=current(r), material__code="lithium-carbonate", quarter=q("2028-Q4")
    ).exists()
    assert [cell(r, "ndpr-oxide", f"2028-Q{i}").demand_t for i in (1, 2, 3, 4)] == [
        D("0.000002"),
        D("0.000002"),
        D("0.000002"),
        D("0.000004"),
    ]


def test_year_and_quarter_lines_of_one_firm_pool_into_one_firm_position(
    make_round, firms, add_line, aggregate
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027", "40", commitment="firm")
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q2", "3", commitment="indicative")
    add_line(
        r, firms[0], "lithium-hydroxide", "2027-Q2", "2", grade="technical", commitment="indicative"
    )

    aggregate(r)

    fp = FirmPosition.objects.get(
        position_set=current(r), organisation=firms[0], quarter=q("2027-Q2")
    )
    assert (fp.demand_t, fp.demand_firm_t, fp.demand_indicative_t) == (D("15"), D("10"), D("5"))
    c = cell(r, "lithium-hydroxide", "2027-Q2")
    assert (c.demand_t, c.demand_firm_t, c.demand_indicative_t, c.contributors) == (
        D("15"),
        D("10"),
        D("5"),
        1,
    )
    assert (c.firm_contributors, c.indicative_contributors) == (1, 1)


def test_excluded_and_withdrawn_lines_count_nowhere(make_round, firms, add_line, aggregate):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    add_line(r, firms[1], "lithium-hydroxide", "2027-Q1", "500", excluded=True)
    add_line(r, firms[2], "lithium-hydroxide", "2027-Q1", "700", withdrawn=True)
    add_line(r, firms[3], "terbium-oxide", "2027-Q1", "1", excluded=True)

    aggregate(r)

    c = cell(r, "lithium-hydroxide", "2027-Q1")
    assert (c.demand_t, c.contributors) == (D("10"), 1)
    ps = current(r)
    assert ps.line_count == 1
    assert set(
        FirmPosition.objects.filter(position_set=ps).values_list("organisation", flat=True)
    ) == {firms[0].pk}
    assert not PositionCell.objects.filter(position_set=ps, material__code="terbium-oxide").exists()
    assert not ElementCell.objects.filter(position_set=ps, element="Tb").exists()


def test_a_replaced_line_counts_with_its_new_values_only(make_round, firms, add_line, aggregate):
    r = make_round()
    line = add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    aggregate(r)
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == D("10")

    # Re-entering the same key replaces the line in place (industry keeps the old values as history).
    line.quantity, line.unit, line.quantity_t, line.commitment = D("2500"), "kg", D("2.5"), "firm"
    line.save()
    aggregate(r)

    c = cell(r, "lithium-hydroxide", "2027-Q1")
    assert (c.demand_t, c.demand_firm_t, c.demand_indicative_t) == (D("2.5"), D("2.5"), D("0"))
    assert PositionSet.objects.filter(round=r).count() == 1


def test_element_rollup_in_contained_element_and_lce(make_round, firms, add_line, aggregate):
    r = make_round(materials=("lithium-hydroxide", "lithium-carbonate", "ndpr-oxide"))
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "100")
    add_line(r, firms[1], "lithium-carbonate", "2027-Q1", "50")
    add_line(r, firms[1], "lithium-hydroxide", "2027-Q1", "10")
    add_line(r, firms[2], "ndpr-oxide", "2027-Q1", "20")

    aggregate(r)

    lioh = Material.objects.get(code="lithium-hydroxide").element_content
    li2co3 = Material.objects.get(code="lithium-carbonate").element_content
    li = ElementCell.objects.get(position_set=current(r), element="Li", quarter=q("2027-Q1"))
    exact = 110 * lioh + 50 * li2co3
    assert li.demand_t == exact.quantize(D("0.000001"))
    assert li.demand_lce_t == (exact * LCE_PER_LITHIUM).quantize(D("0.000001"))
    assert li.contributors == 2
    # The largest firm by contained lithium is firm 0 (16.5 t Li) ahead of firm 1 (50 t Li2CO3 and
    # 10 t LiOH.H2O: 11.0 t Li), although firm 1 has more tonnes of material.
    assert li.largest_share == (100 * lioh / exact).quantize(D("0.000001"))
    ndpr = ElementCell.objects.get(position_set=current(r), element="NdPr")
    assert ndpr.demand_lce_t is None
    assert ndpr.demand_t == (20 * Material.objects.get(code="ndpr-oxide").element_content).quantize(
        D("0.000001")
    )
    # Sanity against docs/periods-and-units.md's figures: LiOH.H2O holds 0.16539 Li and 0.8804 t
    # LCE per tonne.
    assert lioh.quantize(D("0.00001")) == D("0.16539")
    assert (lioh * LCE_PER_LITHIUM).quantize(D("0.0001")) == D("0.8804")


def test_supply_gives_contracted_allocated_open_and_coverage(
    make_round, firms, add_line, aggregate, monkeypatch
):
    r = make_round()
    lioh = Material.objects.get(code="lithium-hydroxide")
    for firm in firms[:5]:
        add_line(r, firm, "lithium-hydroxide", "2027-Q1", "20")
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q2", "30")
    supply = {
        (lioh.pk, q("2027-Q1")): (D("30"), D("12.5")),
        (lioh.pk, q("2027-Q2")): (D("45"), D("0")),
        (lioh.pk, q("2030-Q1")): (D("99"), D("0")),
    }
    monkeypatch.setattr(services, "supply_for_round", lambda round_id: supply)

    aggregate(r)

    c1, c2 = cell(r, "lithium-hydroxide", "2027-Q1"), cell(r, "lithium-hydroxide", "2027-Q2")
    assert (c1.contracted_t, c1.allocated_t, c1.open_t, c1.coverage) == (
        D("30"),
        D("12.5"),
        D("70"),
        D("0.3000"),
    )
    assert (c2.open_t, c2.coverage) == (
        D("-15"),
        D("1.5000"),
    )  # a surplus is a negative open position
    # Supply for a quarter without demand creates no cell.
    assert not PositionCell.objects.filter(position_set=current(r), quarter=q("2030-Q1")).exists()


def test_running_twice_gives_the_same_positions_and_keeps_one_set(
    make_round, firms, add_line, aggregate
):
    r = make_round(materials=("lithium-hydroxide", "terbium-oxide"))
    for i, firm in enumerate(firms):
        add_line(
            r,
            firm,
            "lithium-hydroxide",
            "2027",
            str(10 + i),
            commitment="firm" if i % 2 else "indicative",
        )
        add_line(r, firm, "terbium-oxide", "2028-Q3", "0.5")
    fields = [
        "material_id",
        "quarter",
        "demand_t",
        "demand_firm_t",
        "demand_indicative_t",
        "contributors",
        "largest_share",
        "disclosed",
        "hidden_reason",
        "firm_disclosed",
        "contracted_t",
    ]

    aggregate(r)
    first = list(
        PositionCell.objects.filter(position_set=current(r))
        .order_by("material", "quarter")
        .values(*fields)
    )
    first_set = current(r).pk
    aggregate(r)
    second = list(
        PositionCell.objects.filter(position_set=current(r))
        .order_by("material", "quarter")
        .values(*fields)
    )

    assert first == second and len(first) == 5
    assert current(r).pk != first_set
    assert PositionSet.objects.filter(round=r).count() == 1  # the old set is cleaned up
    assert not FirmPosition.objects.filter(position_set_id=first_set).exists()


def test_the_job_marks_the_round_aggregated_and_is_audited(
    make_round, firms, add_line, aggregate, desk
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "5")

    job = aggregate(r, actor=desk)

    r.refresh_from_db()
    assert r.state == RoundState.AGGREGATED
    assert job.result["cells"] == 1 and job.result["position_set"] == current(r).pk
    assert job.progress == 1.0 and job.created_by == desk
    actions = set(AuditEvent.objects.filter(object_id=str(r.pk)).values_list("action", flat=True))
    assert {"positions.aggregate", "positions.publish", "round.aggregated"} <= actions


def test_two_triggers_run_once_the_second_gets_the_running_job(make_round, firms, add_line, desk):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "5")
    # Without executing the on-commit callbacks the first job stays queued, i.e. active.
    first, created_first = services.aggregation_start(round=r, actor=desk)
    second, created_second = services.aggregation_start(round=r, actor=desk)
    assert created_first and not created_second
    assert first.pk == second.pk
    assert Job.objects.filter(kind=services.AGGREGATION_JOB, subject_id=str(r.pk)).count() == 1


@pytest.mark.parametrize("state", [RoundState.DRAFT, RoundState.OPEN])
def test_only_a_closed_round_is_aggregated(make_round, desk, state):
    r = make_round(state=state)
    with pytest.raises(StateConflict):
        services.aggregation_start(round=r, actor=desk)
    assert services.positions_refresh(round=r, actor=desk) is None
    assert not Job.objects.exists()


def test_a_failure_in_the_middle_leaves_the_old_positions_current(
    make_round, firms, add_line, aggregate, monkeypatch
):
    r = make_round()
    line = add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    aggregate(r)
    old = current(r)
    line.quantity = line.quantity_t = D("99")
    line.save()

    def broken(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(publishing, "write_cells", broken)
    job = aggregate(r)

    assert job.state == "failed"
    assert "No space left on device" in job.error and job.error.startswith(
        ("Database error", "Datenbankfehler")
    )
    assert current(r).pk == old.pk
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == D("10")
    assert PositionSet.objects.filter(round=r).count() == 1  # the half-written set is gone
    assert FirmPosition.objects.filter(position_set__round=r).count() == 1

    monkeypatch.undo()
    retry = aggregate(r)
    assert retry.state == "succeeded" and retry.pk != job.pk
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == D("99")


def test_a_run_given_up_as_stale_does_not_publish(
    make_round, firms, add_line, aggregate, monkeypatch
):
    """A run whose job was marked failed while it worked (its worker seemed dead, so a newer run
    may have started) must not replace the positions, nor report success."""
    r = make_round()
    line = add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    aggregate(r)
    old = current(r)
    line.quantity = line.quantity_t = D("99")
    line.save()
    write_rollups = publishing.write_rollups

    def given_up_meanwhile(position_set, *args, **kwargs):
        write_rollups(position_set, *args, **kwargs)
        Job.objects.filter(pk=position_set.job_id).update(state="failed", error="stale")

    monkeypatch.setattr(publishing, "write_rollups", given_up_meanwhile)
    job = aggregate(r)

    # failed, with the reason recorded when it was given up (not overwritten by the late run)
    assert job.state == "failed" and job.error == "stale"
    assert current(r).pk == old.pk
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == D("10")
    assert PositionSet.objects.filter(round=r).count() == 1  # its unfinished set is gone


def test_a_run_whose_set_was_removed_by_a_newer_run_keeps_the_old_positions_current(
    make_round, firms, add_line, aggregate, monkeypatch
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    aggregate(r)
    old = current(r)
    write_rollups = publishing.write_rollups

    def removed_meanwhile(position_set, *args, **kwargs):
        write_rollups(position_set, *args, **kwargs)
        publishing.delete_sets(PositionSet.objects.filter(pk=position_set.pk))

    monkeypatch.setattr(publishing, "write_rollups", removed_meanwhile)
    job = aggregate(r)

    assert job.state == "failed" and job.error.endswith(NOTHING_PUBLISHED)
    assert current(r).pk == old.pk


def test_a_round_reopened_before_the_job_runs_fails_the_job_readably(
    make_round, firms, add_line, django_capture_on_commit_callbacks, desk
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, _ = services.aggregation_start(round=r, actor=desk)
    DemandRound.objects.filter(pk=r.pk).update(state=RoundState.OPEN)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.state == "failed" and job.error
    assert not PositionSet.objects.filter(round=r).exists()


def test_refresh_while_a_job_is_active_follows_up_once_it_has_finished(
    make_round, firms, add_line, desk, django_capture_on_commit_callbacks
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    with django_capture_on_commit_callbacks(execute=False) as first_callbacks:
        running, _ = services.aggregation_start(round=r, actor=desk)
    with django_capture_on_commit_callbacks(execute=False) as refresh_callbacks:
        returned = services.positions_refresh(round=r, actor=desk)
    assert returned.pk == running.pk
    for (
        callback
    ) in first_callbacks:  # the running job finishes (it read the supply before the change)
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        for callback in refresh_callbacks:  # the contract change commits: a new run follows
            callback()
    jobs = Job.objects.filter(kind=services.AGGREGATION_JOB, subject_id=str(r.pk)).order_by(
        "created_at"
    )
    assert [j.state for j in jobs] == ["succeeded", "succeeded"]


def test_closing_a_round_through_industry_starts_the_aggregation(
    make_round, firms, add_line, desk, django_capture_on_commit_callbacks
):
    from industry.rounds.services import round_close

    r = make_round(state=RoundState.OPEN)
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=r, actor=desk)
    r.refresh_from_db()
    assert r.state == RoundState.AGGREGATED
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == D("10")


def test_supply_that_changes_during_a_run_is_picked_up_by_one_follow_up(
    make_round, firms, add_line, aggregate, monkeypatch
):
    r = make_round()
    lioh = Material.objects.get(code="lithium-hydroxide")
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "10")
    calls = []

    def moving_supply(round_id):  # every call sees more contracted tonnes: it never settles
        calls.append(round_id)
        return {(lioh.pk, q("2027-Q1")): (D(len(calls)), D("0"))}

    monkeypatch.setattr(services, "supply_for_round", moving_supply)
    aggregate(r)

    jobs = list(
        Job.objects.filter(kind=services.AGGREGATION_JOB, subject_id=str(r.pk)).order_by(
            "created_at"
        )
    )
    assert [j.state for j in jobs] == ["succeeded", "succeeded"]  # one follow-up, then it stops
    assert jobs[1].result["follow_up"] is True
    assert cell(r, "lithium-hydroxide", "2027-Q1").contracted_t == D("3")
