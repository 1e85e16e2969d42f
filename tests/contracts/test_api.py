"""The contracts API: desk writes, agency reads, members their own allocations; every status in
the OpenAPI schema."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.periods import Quarter

D = Decimal


@pytest.fixture
def payload(counterparty, demand_round):
    return {
        "reference": "OFF-API-1",
        "counterparty": counterparty.pk,
        "round": demand_round.pk,
        "material": "lithium-hydroxide",
        "first_period": "2027-Q1",
        "last_period": "2027-Q4",
        "annual_volume_t": "40",
        "lot_size_t": "1",
        "incoterm": "CIF",
        "incoterm_place": "Hamburg",
        "currency": "USD",
        "pricing_type": "fixed",
        "fixed_price": "12000",
        "fee_type": "per_unit",
        "fee_value": "150",
    }


def test_desk_runs_a_contract_through_the_api(
    api, desk, payload, positions, firm_a, firm_b, lioh, member_a, settings
):
    client = api(desk)
    response = client.post("/api/v1/contracts/", payload, format="json")
    assert response.status_code == 201, response.json()
    contract = response.json()
    assert (contract["first_period"], contract["state"], contract["annual_volume_t"]) == (
        "2027-Q1",
        "draft",
        "40.000000",
    )
    cid = contract["id"]
    # A schedule that does not add up: 400 with the reason.
    bad = client.put(
        f"/api/v1/contracts/{cid}/schedule/",
        {"entries": [{"period": "2027-Q1", "quantity_t": "30"}]},
        format="json",
    )
    assert bad.status_code == 400
    good = client.put(
        f"/api/v1/contracts/{cid}/schedule/",
        {"entries": [{"period": f"2027-Q{q}", "quantity_t": "10"} for q in (1, 2, 3, 4)]},
        format="json",
    )
    assert (
        good.status_code == 200 and [row["quantity_t"] for row in good.json()] == ["10.000000"] * 4
    )
    # Out of order: 409.
    assert (
        client.post(
            f"/api/v1/contracts/{cid}/transition/", {"state": "active"}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/v1/contracts/{cid}/transition/", {"state": "negotiating"}, format="json"
        ).status_code
        == 200
    )
    signed = client.post(
        f"/api/v1/contracts/{cid}/transition/",
        {"state": "signed", "signed_on": "2026-02-01"},
        format="json",
    )
    assert signed.json()["state"] == "signed" and signed.json()["signed_on"] == "2026-02-01"
    # Terms are fixed now.
    assert (
        client.patch(f"/api/v1/contracts/{cid}/", {"grade": "x"}, format="json").status_code == 409
    )
    prices = client.get(f"/api/v1/contracts/{cid}/prices/").json()
    assert prices[0] == {
        "period": "2027-Q1",
        "price": "12000.0000",
        "back_to_back_price": "12150.0000",
        "currency": "USD",
        "unit": "t",
        "basis": "fixed",
        "index_average": None,
        "index_values": 0,
        "missing": None,
        "price_eur": None,  # no USD rate entered yet
        "pricing_date": "2027-03-31",
        "priced": False,
    }
    # A delivery, then the allocation.
    delivery = client.post(
        "/api/v1/deliveries/",
        {
            "contract": cid,
            "period": "2027-Q1",
            "delivered_on": "2026-02-10",
            "quantity_t": "9.5",
            "provisional_price": "11900",
        },
        format="json",
    )
    assert delivery.status_code == 201 and delivery.json()["invoice_state"] == "provisional"
    assert delivery.json()["provisional_amount"] == "101745.0000"  # 9.5 t x 11,900 x 90 %
    final = client.patch(
        f"/api/v1/deliveries/{delivery.json()['id']}/", {"final_price": "12100"}, format="json"
    )
    assert final.json()["invoice_state"] == "final"
    assert (final.json()["final_amount"], final.json()["difference"]) == (
        "114950.0000",
        "13205.0000",
    )
    assert (
        client.post(f"/api/v1/contracts/{cid}/allocation/preview/").status_code == 409
    )  # no positions yet
    positions(
        {firm_a: D("6"), firm_b: D("4")}, lioh, [Quarter(2027, q).index for q in (1, 2, 3, 4)]
    ).cells.update(firm_disclosed=True, indicative_disclosed=True)
    preview = client.post(f"/api/v1/contracts/{cid}/allocation/preview/")
    assert preview.status_code == 201
    assert preview.json()["quarters"][0] == {
        "period": "2027-Q1",
        "scheduled_t": "10.000000",
        "allocated_t": "10.000000",
        "unallocated_t": "0.000000",
        "firms": 2,
        "pending": 2,
    }
    assert (
        api(member_a).get("/api/v1/allocations/").json()["count"] == 0
    )  # draft: not visible to members
    respond_by = (timezone.now() + datetime.timedelta(days=7)).isoformat()
    assert (
        client.post(
            f"/api/v1/contracts/{cid}/allocation/release/",
            {"respond_by": respond_by},
            format="json",
        ).status_code
        == 200
    )
    mine = api(member_a).get("/api/v1/allocations/").json()["results"]
    assert [(row["period"], row["quantity_t"]) for row in mine] == [
        (f"2027-Q{q}", "6.000000") for q in (1, 2, 3, 4)
    ]
    assert mine[0]["explanation"]["method"] == "full_demand"
    confirmed = api(member_a).post(f"/api/v1/allocations/{mine[0]['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    override = client.post(
        f"/api/v1/allocations/{mine[1]['id']}/override/",
        {"quantity_t": "5", "reason": "Engpass"},
        format="json",
    )
    assert override.status_code == 200 and override.json()["quantity_t"] == "5.000000"
    assert (
        client.post(
            f"/api/v1/allocations/{mine[1]['id']}/override/",
            {"quantity_t": "5.5", "reason": "x"},
            format="json",
        ).status_code
        == 400
    )


def test_validation_errors_name_the_field(api, desk, payload):
    response = api(desk).post(
        "/api/v1/contracts/",
        {**payload, "pricing_type": "index", "fixed_price": None, "floor": "500", "cap": "100"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"index", "quotational_period", "floor"}
    assert (
        api(desk)
        .post("/api/v1/contracts/", {**payload, "first_period": "2027"}, format="json")
        .status_code
        == 400
    )


def test_prices_and_fx_through_the_api(api, desk, analyst, lioh):
    client = api(desk)
    index = client.post(
        "/api/v1/price-indices/",
        {
            "code": "demo-lioh",
            "name": "LiOH demo",
            "provider": "Demo",
            "material": "lithium-hydroxide",
            "currency": "USD",
            "unit": "kg",
        },
        format="json",
    )
    assert index.status_code == 201
    iid = index.json()["id"]
    assert (
        client.post(
            f"/api/v1/price-indices/{iid}/values/",
            {"date": "2026-01-05", "value": "11.5"},
            format="json",
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/price-indices/{iid}/values/",
            {"date": "2026-01-05", "value": "-1"},
            format="json",
        ).status_code
        == 400
    )
    assert api(analyst).get(f"/api/v1/price-indices/{iid}/values/").json()["results"] == [
        {"date": "2026-01-05", "value": "11.5000"}
    ]
    assert (
        api(analyst)
        .post(
            f"/api/v1/price-indices/{iid}/values/",
            {"date": "2026-01-06", "value": "1"},
            format="json",
        )
        .status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/fx-rates/",
            {"currency": "USD", "date": "2026-01-05", "per_eur": "1.0850"},
            format="json",
        ).status_code
        == 201
    )
    assert api(analyst).get("/api/v1/fx-rates/").json()["results"][0]["per_eur"] == "1.085000"
    # The same day again corrects the rate, as the summary says.
    corrected = client.post(
        "/api/v1/fx-rates/",
        {"currency": "USD", "date": "2026-01-05", "per_eur": "1.0900"},
        format="json",
    )
    assert corrected.status_code == 201 and corrected.json()["per_eur"] == "1.090000"
    assert [r["per_eur"] for r in api(analyst).get("/api/v1/fx-rates/").json()["results"]] == [
        "1.090000"
    ]


def test_schema_documents_every_endpoint_and_status(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    for path, method, statuses in [
        ("/api/v1/contracts/", "post", {"201", "400", "401", "403"}),
        ("/api/v1/contracts/{id}/transition/", "post", {"200", "400", "401", "403", "404", "409"}),
        ("/api/v1/contracts/{id}/schedule/", "put", {"200", "400", "401", "403", "404", "409"}),
        ("/api/v1/contracts/{id}/allocation/preview/", "post", {"201", "401", "403", "404", "409"}),
        ("/api/v1/allocations/{id}/decline/", "post", {"200", "401", "403", "404", "409"}),
        ("/api/v1/allocations/", "get", {"200", "401", "403"}),
        ("/api/v1/deliveries/", "post", {"201", "400", "401", "403", "404", "409"}),
        ("/api/v1/price-indices/{id}/values/", "post", {"201", "400", "401", "403", "404"}),
        ("/api/v1/projects/", "get", {"200", "401", "403"}),
    ]:
        assert statuses <= set(paths[path][method]["responses"]), (path, method)


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/api/v1/contracts/", {}),
        (
            "post",
            "/api/v1/contracts/",
            {"first_period": "2027-Q5", "annual_volume_t": "abc", "material": "unobtainium"},
        ),
        ("post", "/api/v1/counterparties/", {"name": "", "kind": "x"}),
        ("post", "/api/v1/deliveries/", {"contract": "x"}),
        ("post", "/api/v1/price-indices/", {"code": "a b", "material": "nope"}),
        ("post", "/api/v1/fx-rates/", {"currency": "XXX", "date": "yesterday", "per_eur": "-1"}),
    ],
)
def test_bad_input_is_a_400_with_field_messages(api, desk, method, path, body):
    response = getattr(api(desk), method)(path, body, format="json")
    assert response.status_code == 400
    assert isinstance(response.json(), dict) and response.json()


def test_unknown_objects_are_404_for_every_detail_endpoint(api, desk, member_a):
    client = api(desk)
    for path in (
        "/api/v1/contracts/999999/",
        "/api/v1/contracts/999999/schedule/",
        "/api/v1/contracts/999999/prices/",
        "/api/v1/contracts/999999/allocation/",
        "/api/v1/deliveries/999999/",
        "/api/v1/price-indices/999999/values/",
        "/api/v1/allocations/999999/",
        "/api/v1/counterparties/999999/",
        "/api/v1/projects/999999/",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(
            "/api/v1/contracts/999999/transition/", {"state": "signed"}, format="json"
        ).status_code
        == 404
    )
    assert (
        client.put("/api/v1/contracts/999999/schedule/", {"entries": []}, format="json").status_code
        == 404
    )
    assert api(member_a).post("/api/v1/allocations/999999/confirm/").status_code == 404
    assert api(member_a).post("/api/v1/contracts/", {}, format="json").status_code == 403


def test_schedule_with_a_quarter_twice_is_refused(api, desk, payload):
    client = api(desk)
    cid = client.post("/api/v1/contracts/", payload, format="json").json()["id"]
    entries = [{"period": "2027-Q1", "quantity_t": "20"}, {"period": "2027-Q1", "quantity_t": "20"}]
    response = client.put(
        f"/api/v1/contracts/{cid}/schedule/",
        {"entries": entries},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert response.json() == {"entries": ["2027-Q1 kommt doppelt vor."]}  # the user's language


# ---- responses match the OpenAPI schema ------------------------------------------------------


@pytest.fixture
def schema(client, db):
    import yaml

    return yaml.safe_load(client.get("/api/schema/").content)


def _property(schema, component, name):
    return schema["components"]["schemas"][component]["properties"][name]


def _enum_values(schema, prop):
    values = set(prop.get("enum", []))
    for ref in prop.get("oneOf", []) + prop.get("allOf", []):
        values |= set(schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["enum"])
    return values


def test_generating_a_schedule_answers_the_list_its_schema_declares(api, desk, payload, schema):
    client = api(desk)
    cid = client.post("/api/v1/contracts/", payload, format="json").json()["id"]
    response = client.post(f"/api/v1/contracts/{cid}/schedule/generate/")
    assert response.status_code == 200 and isinstance(response.json(), list)
    declared = schema["paths"]["/api/v1/contracts/{id}/schedule/generate/"]["post"]["responses"]
    assert declared["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_a_fixed_price_contract_has_no_quotational_period_and_says_null(api, desk, payload, schema):
    body = api(desk).post("/api/v1/contracts/", payload, format="json").json()
    assert body["quotational_period"] is None
    prop = _property(schema, "Contract", "quotational_period")
    assert prop["nullable"] and "" not in _enum_values(schema, prop)


def test_large_invoice_amounts_fit_their_declared_digits(api, desk, make_contract, sign, schema):
    import re

    contract = sign(make_contract(price_unit="kg", fixed_price=D("9999999999999999")))
    response = api(desk).post(
        "/api/v1/deliveries/",
        {
            "contract": contract.pk,
            "period": "2027-Q1",
            "delivered_on": "2026-02-10",
            "quantity_t": "9999999999999999",
            "provisional_price": "9999999999999999",
            "final_price": "9999999999999999",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    for name in ("provisional_amount", "final_amount", "difference"):
        pattern = _property(schema, "Delivery", name)["pattern"]
        assert re.fullmatch(pattern, response.json()[name]), (name, response.json()[name])
    prices = api(desk).get(f"/api/v1/contracts/{contract.pk}/prices/").json()
    pattern = _property(schema, "QuarterPrice", "back_to_back_price")["pattern"]
    assert re.fullmatch(pattern, prices[0]["back_to_back_price"])


def test_a_confirmed_share_is_reopened_not_overridden(
    api, desk, member_a, firm_a, firm_b, make_contract, sign, positions, lioh
):
    from contracts.allocations import services as allocation_services

    positions(
        {firm_a: D("6"), firm_b: D("4")}, lioh, [Quarter(2027, q).index for q in (1, 2, 3, 4)]
    )
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    share = draft.allocations.filter(organisation=firm_a).order_by("quarter").first()
    member, client = api(member_a), api(desk)
    assert member.post(f"/api/v1/allocations/{share.pk}/confirm/").status_code == 200
    override = client.post(
        f"/api/v1/allocations/{share.pk}/override/",
        {"quantity_t": "5", "reason": "Engpass"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert override.status_code == 409 and "reopen" in override.json()["detail"]
    respond_by = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    assert (
        client.post(
            f"/api/v1/allocations/{share.pk}/reopen/",
            {"reason": "", "respond_by": respond_by},
            format="json",
        ).status_code
        == 400
    )
    assert (
        member.post(
            f"/api/v1/allocations/{share.pk}/reopen/",
            {"reason": "x", "respond_by": respond_by},
            format="json",
        ).status_code
        == 403
    )
    reopened = client.post(
        f"/api/v1/allocations/{share.pk}/reopen/",
        {"reason": "Engpass beim Lieferanten", "respond_by": respond_by},
        format="json",
    )
    assert reopened.status_code == 200
    assert (reopened.json()["state"], reopened.json()["reopen_reason"]) == (
        "proposed",
        "Engpass beim Lieferanten",
    )
    assert (
        client.post(
            f"/api/v1/allocations/{share.pk}/reopen/",
            {"reason": "noch einmal", "respond_by": respond_by},
            format="json",
        ).status_code
        == 409
    )
    mine = member.get(f"/api/v1/allocations/{share.pk}/").json()
    assert mine["reopen_reason"] == "Engpass beim Lieferanten"
    answered = member.post(f"/api/v1/allocations/{share.pk}/decline/")
    assert answered.status_code == 200 and answered.json()["state"] == "declined"
