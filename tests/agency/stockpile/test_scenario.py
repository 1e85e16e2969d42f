"""The export-stop scenario on a hand case with two countries (docs/scenarios.md).

Lithium hydroxide, 100 t of pooled demand in each quarter of 2027. Contracted: 60 t a quarter
from Chile, 30 t from a project in Australia whose counterparty sits in Canada (the project's
country counts), 20 t from Canada. Chile and Australia stop from 2027-Q2: Q1 keeps 110 t (no
shortfall), Q2-Q4 keep 20 t, 80 t uncovered each. A stockpile of 120 t covers Q2 (91 days) and
half of Q3 (40 of 80 t over 92 days: 46 days): 137.0 days."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.scenarios import engine, selectors
from agency.stockpile import services
from rohstoff.core.errors import ValidationError
from rohstoff.core.periods import Quarter

Q2 = Quarter(2027, 2)


@pytest.fixture
def world(lioh, li2co3, cells, contract, stock):
    year = {f"2027-Q{q}": 100 for q in (1, 2, 3, 4)}
    cells(lioh, year, contracted={q: 110 for q in year})
    cells(li2co3, {"2027-Q2": 10}, contracted={"2027-Q2": 10})
    contract("CL", {q: 60 for q in year})
    contract("CA", {q: 30 for q in year}, project_country="AU")
    contract("CA", {q: 20 for q in year})
    contract("CL", {"2027-Q2": 10}, material=li2co3)
    contract("CL", {q: 500 for q in year}, state="draft")  # not supply: never counted
    stock(lioh, "120")


def by_code(result):
    return {m.material.code: m for m in result.materials}


def test_two_countries_hand_case(world, analyst, scenario_round, lioh):
    result = selectors.scenario_run(
        user=analyst, round=scenario_round, countries=["cl", "AU"], first=Q2
    )
    assert result.countries == ["CL", "AU"]
    assert [str(q) for q in result.quarters][:3] == ["2027-Q2", "2027-Q3", "2027-Q4"]
    lithium = by_code(result)["lithium-hydroxide"]
    first3 = lithium.cells[:3]
    assert [c.lost_t for c in first3] == [Decimal(90)] * 3
    assert [c.uncovered_t for c in first3] == [Decimal(80)] * 3
    assert [c.baseline_uncovered_t for c in first3] == [Decimal(0)] * 3
    assert all(c.demand_t == 0 for c in lithium.cells[3:])  # 2028: no demand, nothing to cover
    assert lithium.uncovered_t == Decimal(240) and lithium.lost_t == Decimal(270)
    assert lithium.baseline_uncovered_t == Decimal(0)  # all of it caused by the stop
    assert lithium.holding_t == Decimal(120)
    assert (lithium.days_bridged, lithium.runs_out) == (Decimal("137.0"), True)
    assert (lithium.target_days, lithium.bridge_band, lithium.below_target) == (60, "above", False)
    # Lithium carbonate: its only supply (Chile) stops, no stockpile: below target from day 0.
    carbonate = by_code(result)["lithium-carbonate"]
    assert carbonate.cells[0].uncovered_t == Decimal(10) and carbonate.days_bridged == 0
    assert carbonate.below_target is True

    services.target_set(actor=analyst, material=lioh, high_risk=True)
    result = selectors.scenario_run(
        user=analyst, round=scenario_round, countries=["CL", "AU"], first=Q2
    )
    lithium = by_code(result)["lithium-hydroxide"]
    assert (lithium.target_days, lithium.bridge_band, lithium.below_target) == (180, "below", True)
    assert {m.material.code for m in result.below_target} == {
        "lithium-hydroxide",
        "lithium-carbonate",
    }


def test_one_country_from_the_first_quarter(world, analyst, scenario_round):
    result = selectors.scenario_run(
        user=analyst, round=scenario_round, countries=["CA"], first=Quarter(2027, 1)
    )
    lithium = by_code(result)["lithium-hydroxide"]
    # Only the contract without a project is Canadian: 20 t lost, 90 t left, 10 t uncovered.
    assert [c.lost_t for c in lithium.cells[:4]] == [Decimal(20)] * 4
    assert [c.uncovered_t for c in lithium.cells[:4]] == [Decimal(10)] * 4
    assert lithium.runs_out is False and lithium.bridge_band == "lasts"


def test_desk_and_ministry_get_bands_only_and_the_ministry_disclosed_cells(
    desk, ministry, lioh, li2co3, cells, contract, stock, scenario_round
):
    year = {f"2027-Q{q}": 100 for q in (1, 2, 3, 4)}
    cells(
        lioh,
        year,
        contracted={q: 110 for q in year},
        hidden=("2027-Q3",),
        parts_hidden=("2027-Q4",),
    )
    contract("CL", {q: 60 for q in year})
    stock(lioh, "120")
    for_desk = by_code(
        selectors.scenario_run(user=desk, round=scenario_round, countries=["CL"], first=Q2)
    )["lithium-hydroxide"]
    assert for_desk.holding_t is None and for_desk.days_bridged is None
    assert for_desk.runs_out is None
    assert all(c.visible for c in for_desk.cells)  # the desk runs on all cells
    for_ministry = by_code(
        selectors.scenario_run(user=ministry, round=scenario_round, countries=["CL"], first=Q2)
    )["lithium-hydroxide"]
    assert [c.visible for c in for_ministry.cells[:3]] == [True, False, False]
    hidden = for_ministry.cells[1]
    assert (hidden.demand_t, hidden.uncovered_t, hidden.lost_t) == (None, None, None)
    assert for_ministry.hidden_cells == 2 and for_ministry.uncovered_t == Decimal(50)
    # Q2 uses 50 of 120 t (91 days), then Q3 is hidden: at least 91 days, beyond 1.5 x 60.
    assert for_ministry.holding_t is None and for_ministry.days_bridged is None
    assert (for_ministry.bridge_band, for_ministry.below_target) == ("above", False)


def test_inputs_are_checked(analyst, scenario_round, world):
    for countries, first in (
        ([], Q2),
        (["XX"], Q2),
        (["CL"] * 1 + [f"{a}{b}" for a in "ABCDEFGHIJKLMNOP" for b in "EG"][:25], Q2),
        (["CL"], Quarter(2026, 4)),
        (["CL"], Quarter(2029, 1)),
    ):
        with pytest.raises(ValidationError):
            selectors.scenario_run(
                user=analyst, round=scenario_round, countries=countries, first=first
            )


def test_query_count_is_fixed(analyst, lioh, li2co3, cells, contract, stock, scenario_round):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            engine.run(user=analyst, round=scenario_round, countries=["CL", "AU"], first=Q2)
        return len(ctx.captured_queries)

    cells(lioh, {"2027-Q2": 100}, contracted={"2027-Q2": 60})
    contract("CL", {"2027-Q2": 60})
    small = count()
    cells(li2co3, {f"202{y}-Q{q}": 10 for y in (7, 8) for q in (1, 2, 3, 4)})
    for n in range(5):
        contract("AU", {"2027-Q3": n + 1, "2028-Q1": 2}, material=li2co3)
    stock(li2co3, "3")
    assert count() == small == 6
