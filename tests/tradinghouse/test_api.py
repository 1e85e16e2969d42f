"""The positions API: shape, disclosure per role, filters, the roll-up, aggregate, and tenancy."""

from decimal import Decimal

import pytest

from industry.models import RoundState
from rohstoff.core.models import Job
from tradinghouse.services import AGGREGATION_JOB

QUANTITIES = [
    "demand_t",
    "demand_firm_t",
    "demand_indicative_t",
    "contributors",
    "contracted_t",
    "allocated_t",
    "covered_directly_t",
    "open_t",
    "coverage",
]


def url(round, suffix="positions/"):
    return f"/api/v1/rounds/{round.pk}/{suffix}"


def by_key(data):
    return {(c["material"], c["period"]): c for c in data}


@pytest.mark.parametrize("who", ["member_a", "member_b", "ministry"])
def test_members_and_ministry_get_hidden_cells_with_every_quantity_null(
    request, api, rich_round, who
):
    user = request.getfixturevalue(who)
    response = api(user).get(url(rich_round))
    assert response.status_code == 200
    cells = by_key(response.json())
    assert len(cells) == 6
    for key in [
        ("lithium-hydroxide", "2027-Q1"),
        ("lithium-hydroxide", "2028-Q1"),
        ("terbium-oxide", "2028-Q3"),
    ]:
        hidden = cells[key]
        assert hidden["disclosed"] is False
        assert all(hidden[field] is None for field in QUANTITIES), hidden
        assert "hidden_reason" not in hidden
    shown = cells[("lithium-hydroxide", "2027-Q3")]
    assert shown == {
        "material": "lithium-hydroxide",
        "period": "2027-Q3",
        "disclosed": True,
        "demand_t": "94.000000",
        "demand_firm_t": "60.000000",
        "demand_indicative_t": "34.000000",
        "contributors": 8,
        "contracted_t": "0.000000",
        "allocated_t": "0.000000",
        "covered_directly_t": "0.000000",
        "open_t": "94.000000",
        "coverage": "0.0000",
    }
    # a disclosed cell whose parts fail the rule on their own: the split is null, the rest shown
    q2 = cells[("lithium-hydroxide", "2027-Q2")]
    assert (q2["demand_t"], q2["demand_firm_t"], q2["demand_indicative_t"]) == (
        "78.000000",
        None,
        None,
    )


@pytest.mark.parametrize("who", ["desk", "analyst"])
def test_desk_and_agency_see_every_cell_with_the_reason(request, api, rich_round, who):
    cells = by_key(api(request.getfixturevalue(who)).get(url(rich_round)).json())
    tb = cells[("terbium-oxide", "2028-Q3")]
    assert tb["disclosed"] is False and tb["hidden_reason"] == "dominance"
    assert (
        tb["demand_t"] == "46.600000"
        and tb["contributors"] == 5
        and tb["demand_firm_t"] == "45.000000"
    )
    assert cells[("lithium-hydroxide", "2027-Q1")]["hidden_reason"] == "complementary"
    assert cells[("lithium-hydroxide", "2027-Q3")]["hidden_reason"] == ""


def test_a_large_surplus_on_a_tiny_demand_is_a_large_coverage_not_an_error(
    api, make_round, firms, add_line, aggregate, monkeypatch, desk
):
    from rohstoff.core.models import Material
    from tests.tradinghouse.conftest import q
    from tradinghouse import services

    r = make_round()
    lioh = Material.objects.get(code="lithium-hydroxide")
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "0.000001")
    supply = {(lioh.pk, q("2027-Q1")): (Decimal("1000"), Decimal("0"))}
    monkeypatch.setattr(services, "supply_for_round", lambda round_id: supply)
    aggregate(r)

    response = api(desk).get(url(r))

    assert response.status_code == 200
    assert response.json()[0]["coverage"] == "1000000000.0000"


def test_element_rollup(api, rich_round, member_a, desk):
    data = api(member_a).get(url(rich_round), {"by": "element"}).json()
    li = {c["period"]: c for c in data if c["element"] == "Li"}
    assert li["2027-Q1"] == {
        "element": "Li",
        "period": "2027-Q1",
        "disclosed": False,
        "demand_t": None,
        "demand_lce_t": None,
    }
    assert li["2027-Q3"]["disclosed"] is True
    assert Decimal(li["2027-Q3"]["demand_t"]) > 0 and Decimal(
        li["2027-Q3"]["demand_lce_t"]
    ) > Decimal(li["2027-Q3"]["demand_t"])
    tb = next(c for c in data if c["element"] == "Tb")
    assert tb["demand_lce_t"] is None and tb["demand_t"] is None
    desk_tb = next(
        c for c in api(desk).get(url(rich_round), {"by": "element"}).json() if c["element"] == "Tb"
    )
    assert desk_tb["hidden_reason"] == "dominance" and desk_tb["demand_t"] is not None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"material": "terbium-oxide"}, {("terbium-oxide", "2028-Q3")}),
        (
            {"family": "lithium"},
            {
                ("lithium-hydroxide", p)
                for p in ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2028-Q1")
            },
        ),
        ({"period": "2028"}, {("lithium-hydroxide", "2028-Q1"), ("terbium-oxide", "2028-Q3")}),
        (
            {"period": "2027-Q3", "material": "lithium-hydroxide"},
            {("lithium-hydroxide", "2027-Q3")},
        ),
        ({"family": "gallium"}, set()),
    ],
)
def test_filters(api, rich_round, desk, params, expected):
    response = api(desk).get(url(rich_round), params)
    assert response.status_code == 200
    assert set(by_key(response.json())) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"material": "unobtainium"}, "material"),
        ({"family": "spice"}, "family"),
        ({"period": "2027-Q5"}, "period"),
        ({"by": "firm"}, "by"),
    ],
)
def test_bad_filters_answer_400_with_the_parameter(api, rich_round, desk, params, field):
    response = api(desk).get(url(rich_round), params)
    assert response.status_code == 400
    assert field in response.json()


def test_filters_apply_to_the_rollup(api, rich_round, desk):
    data = api(desk).get(url(rich_round), {"by": "element", "material": "terbium-oxide"}).json()
    assert {c["element"] for c in data} == {"Tb"}
    data = api(desk).get(url(rich_round), {"by": "element", "period": "2027-Q2"}).json()
    assert [(c["element"], c["period"]) for c in data] == [("Li", "2027-Q2")]


def test_round_without_positions_answers_an_empty_list(api, make_round, member_a):
    assert api(member_a).get(url(make_round(state=RoundState.OPEN))).json() == []


def test_tenancy_and_status_codes(api, make_round, rich_round, member_a, staff):
    draft = make_round(state=RoundState.DRAFT)
    assert api(None).get(url(rich_round)).status_code == 401
    assert api(staff).get(url(rich_round)).status_code == 403  # no role that reads positions
    assert api(member_a).get(url(draft)).status_code == 404  # a draft is invisible to members
    assert api(member_a).get("/api/v1/rounds/999999/positions/").status_code == 404


def test_desk_aggregates_through_the_api(
    api, make_round, firms, add_line, desk, django_capture_on_commit_callbacks
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "5")
    client = api(desk)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url(r, "aggregate/"))
        second = client.post(url(r, "aggregate/"))
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()  # while one runs, the running job answers
    job = Job.objects.get(pk=first.json()["job"])
    assert job.kind == AGGREGATION_JOB
    status = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert status["state"] == "queued" and status["progress"] == 0


def test_aggregate_status_codes(api, make_round, desk, member_a, analyst):
    open_round = make_round(state=RoundState.OPEN)
    closed = make_round()
    assert api(None).post(url(closed, "aggregate/")).status_code == 401
    assert api(member_a).post(url(closed, "aggregate/")).status_code == 403
    assert api(analyst).post(url(closed, "aggregate/")).status_code == 403
    assert api(desk).post(url(open_round, "aggregate/")).status_code == 409
    assert api(desk).post("/api/v1/rounds/999999/aggregate/").status_code == 404
    assert not Job.objects.exists()


def test_schema_documents_every_status(api):
    schema = api(None).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    positions = paths["/api/v1/rounds/{id}/positions/"]["get"]
    assert set(positions["responses"]) == {"200", "400", "401", "403", "404"}
    assert {p["name"] for p in positions["parameters"]} >= {"material", "family", "period", "by"}
    aggregate = paths["/api/v1/rounds/{id}/aggregate/"]["post"]
    assert set(aggregate["responses"]) == {"202", "401", "403", "404", "409"}
