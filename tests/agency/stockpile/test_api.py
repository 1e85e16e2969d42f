"""The stockpile and scenario API: the agency reads tonnes and days, the ministry bands only
(never a tonne of the stockpile, never a hidden cell), releases go through the four-eyes
service, input is checked with a clear 400 and nothing changed."""

import json
from decimal import Decimal

import pytest

from agency.models import Holding, Movement, SavedScenario


@pytest.fixture
def world(lioh, li2co3, cells, contract, stock):
    year = {f"2027-Q{q}": 1000 for q in (1, 2, 3, 4)}
    cells(lioh, year, contracted={q: 600 for q in year}, hidden=("2027-Q3",))
    contract("CL", {q: 600 for q in year})
    stock(lioh, "123.456789")


def test_agency_reads_cover_and_holdings(api, analyst, world):
    cover = api(analyst).get("/api/v1/stockpile/cover/").json()
    row = next(r for r in cover if r["material"] == "lithium-hydroxide")
    assert row["holding_t"] == "123.456789" and row["band"] in {"below", "within", "above"}
    holdings = api(analyst).get("/api/v1/stockpile/holdings/").json()
    assert holdings[0]["quantity_t"] == "123.456789"


def test_ministry_gets_bands_and_nothing_else(api, ministry, desk, member_a, world, scenario_round):
    client = api(ministry)
    bands = client.get("/api/v1/stockpile/bands/").json()
    assert set(bands[0]) == {"material", "target_days", "high_risk", "band"}
    for path in (
        "/api/v1/stockpile/cover/",
        "/api/v1/stockpile/holdings/",
        "/api/v1/stockpile/movements/",
    ):
        assert client.get(path).status_code == 403
        assert api(desk).get(path).status_code == 403
    assert api(member_a).get("/api/v1/stockpile/bands/").status_code == 403
    result = client.post(
        "/api/v1/scenarios/run/",
        {"round": scenario_round.pk, "countries": ["CL"], "first_quarter": "2027-Q2"},
        format="json",
    )
    assert result.status_code == 200
    text = json.dumps(result.json())
    assert "123.456789" not in text and "holding_t" not in text and "days_bridged" not in text
    lithium = next(m for m in result.json()["materials"] if m["material"] == "lithium-hydroxide")
    hidden = next(c for c in lithium["cells"] if c["period"] == "2027-Q3")
    assert hidden == {
        "period": "2027-Q3",
        "disclosed": False,
        "demand_t": None,
        "contracted_t": None,
        "lost_t": None,
        "uncovered_t": None,
    }
    agency = (
        api(desk)
        .post(
            "/api/v1/scenarios/run/",
            {"round": scenario_round.pk, "countries": ["CL"], "first_quarter": "2027-Q2"},
            format="json",
        )
        .json()
    )
    assert "holding_t" not in json.dumps(agency)  # the desk sees no stockpile level either


def test_agency_scenario_has_the_stockpile(api, analyst, world, scenario_round):
    result = (
        api(analyst)
        .post(
            "/api/v1/scenarios/run/",
            {"round": scenario_round.pk, "countries": ["cl"], "first_quarter": "2027-Q2"},
            format="json",
        )
        .json()
    )
    lithium = next(m for m in result["materials"] if m["material"] == "lithium-hydroxide")
    assert lithium["holding_t"] == "123.456789" and lithium["runs_out"] is True


def test_bad_scenario_input_is_a_clear_400(api, analyst, world, scenario_round):
    client = api(analyst)
    for body in (
        {"round": scenario_round.pk, "countries": [], "first_quarter": "2027-Q2"},
        {"round": scenario_round.pk, "countries": ["XX"], "first_quarter": "2027-Q2"},
        {"round": scenario_round.pk, "countries": ["CL"] * 21, "first_quarter": "2027-Q2"},
        {"round": scenario_round.pk, "countries": ["CL"], "first_quarter": "2031-Q1"},
        {"round": scenario_round.pk, "countries": "CL", "first_quarter": "Q2"},
    ):
        response = client.post("/api/v1/scenarios/run/", body, format="json")
        assert response.status_code == 400, body
    assert (
        client.post(
            "/api/v1/scenarios/run/",
            {"round": 999999, "countries": ["CL"], "first_quarter": "2027-Q2"},
            format="json",
        ).status_code
        == 404
    )
    response = client.post(
        "/api/v1/scenarios/",
        {"name": "", "round": scenario_round.pk, "countries": ["CL"], "first_quarter": "2027-Q2"},
        format="json",
    )
    assert response.status_code == 400 and SavedScenario.objects.count() == 0


def test_saved_scenarios_api(api, analyst, approver, ministry, world, scenario_round):
    created = api(analyst).post(
        "/api/v1/scenarios/",
        {
            "name": "Chile",
            "round": scenario_round.pk,
            "countries": ["CL"],
            "first_quarter": "2027-Q2",
        },
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api(approver).get(f"/api/v1/scenarios/{pk}/result/").status_code == 200  # same org
    assert api(ministry).get(f"/api/v1/scenarios/{pk}/").status_code == 404
    assert api(ministry).get("/api/v1/scenarios/").json()["count"] == 0
    assert api(analyst).delete(f"/api/v1/scenarios/{pk}/").status_code == 204


def test_release_through_the_api(
    api, analyst, approver, make_user, make_org, location, world, lioh
):
    approver2 = make_user("agency_approver", org=make_org("Agentur", "agency"))
    response = api(analyst).post(
        "/api/v1/stockpile/movements/",
        {
            "kind": "release",
            "location": location.pk,
            "material": "lithium-hydroxide",
            "quantity_t": "23.456789",
            "reason": "Engpass",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["state"] == "in_review"
    pk = response.json()["id"]
    assert api(analyst).post(f"/api/v1/stockpile/movements/{pk}/approve/").status_code == 403
    first = api(approver).post(f"/api/v1/stockpile/movements/{pk}/approve/", {"revision": 1})
    assert first.status_code == 200 and first.json()["approvals"] == 1
    again = api(approver).post(f"/api/v1/stockpile/movements/{pk}/approve/", {"revision": 1})
    assert again.status_code == 409
    second = api(approver2).post(f"/api/v1/stockpile/movements/{pk}/approve/", {"revision": 1})
    assert second.json()["state"] == "booked"
    assert Holding.objects.get(location=location, material=lioh).quantity_t == Decimal("100")
    for bad in (
        {
            "kind": "purchase",
            "location": location.pk,
            "material": "nope",
            "quantity_t": "1",
            "reason": "x",
        },
        {
            "kind": "purchase",
            "location": location.pk,
            "material": "lithium-hydroxide",
            "quantity_t": "1,5",
            "reason": "x",
        },
        {
            "kind": "rotation",
            "location": location.pk,
            "material": "lithium-hydroxide",
            "quantity_t": "1",
            "reason": "x",
        },
    ):
        assert (
            api(analyst).post("/api/v1/stockpile/movements/", bad, format="json").status_code == 400
        )
    assert Movement.objects.count() == 2  # the purchase of the fixture and the release
