"""The REST API of rounds and demand lines as docs/demand-file.md fixes it: statuses, shapes,
tenancy."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from industry.models import DemandLine, DemandRound, RoundState

from .conftest import csv_bytes


def url(round, *parts):
    return "/api/v1/rounds/" + "/".join([str(round.pk), *map(str, parts)]) + "/"


def results(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data


LINE = {"material": "lithium-hydroxide", "period": "2027", "quantity": "40", "unit": "t"}


# ---- rounds ----------------------------------------------------------------------------------


def test_round_list_hides_drafts_from_everyone_but_the_desk(
    api, make_round, desk, member_a, analyst, ministry
):
    draft, opened = make_round(state="draft"), make_round()
    assert {r["id"] for r in results(api(desk).get("/api/v1/rounds/"))} == {draft.pk, opened.pk}
    for user in (member_a, analyst, ministry):
        assert [r["id"] for r in results(api(user).get("/api/v1/rounds/"))] == [opened.pk]
        assert api(user).get(f"/api/v1/rounds/{draft.pk}/").status_code == 404
    row = api(member_a).get(f"/api/v1/rounds/{opened.pk}/").json()
    assert (
        row["first_period"] == "2027-Q1"
        and row["last_period"] == "2031-Q4"
        and row["state"] == "open"
    )
    assert row["min_quantity_t"] == "0.000000" and "lithium-hydroxide" in row["materials"]
    assert api(None).get("/api/v1/rounds/").status_code == 401


def test_desk_creates_and_edits_a_draft(api, desk, member_a):
    now = timezone.now()
    body = {
        "title": "API-Runde",
        "materials": ["lithium-hydroxide", "ndpr-oxide"],
        "first_period": "2027-Q1",
        "last_period": "2030-Q4",
        "opens_at": now.isoformat(),
        "closes_at": (now + datetime.timedelta(days=7)).isoformat(),
        "min_quantity_t": "0.5",
    }
    assert api(member_a).post("/api/v1/rounds/", body, format="json").status_code == 403
    assert api(None).post("/api/v1/rounds/", body, format="json").status_code == 401
    response = api(desk).post("/api/v1/rounds/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (
        created["state"] == "draft"
        and created["last_period"] == "2030-Q4"
        and created["min_quantity_t"] == "0.500000"
    )
    patched = api(desk).patch(
        f"/api/v1/rounds/{created['id']}/",
        {"title": "Neu", "last_period": "2031-Q4"},
        format="json",
    )
    assert (
        patched.status_code == 200
        and patched.json()["title"] == "Neu"
        and patched.json()["last_period"] == "2031-Q4"
    )
    bad = api(desk).patch(
        f"/api/v1/rounds/{created['id']}/", {"first_period": "2027-Q7"}, format="json"
    )
    assert bad.status_code == 400 and "first_period" in bad.json()
    assert api(desk).post(f"/api/v1/rounds/{created['id']}/open/").json()["state"] == "open"
    assert (
        api(desk)
        .patch(f"/api/v1/rounds/{created['id']}/", {"title": "x"}, format="json")
        .status_code
        == 409
    )
    assert (
        api(member_a)
        .patch(f"/api/v1/rounds/{created['id']}/", {"title": "x"}, format="json")
        .status_code
        == 403
    )


def test_transitions_through_the_api(api, make_round, desk, member_a):
    round = make_round()
    assert api(member_a).post(url(round, "close")).status_code == 403
    assert api(desk).post(url(round, "open")).status_code == 409
    assert api(desk).post(url(round, "close")).json()["state"] == "closed"
    assert api(desk).post(url(round, "close")).status_code == 409
    assert api(desk).post(url(round, "reopen")).json()["state"] == "open"
    api(desk).post(url(round, "close"))
    DemandRound.objects.filter(pk=round.pk).update(state=RoundState.AGGREGATED)
    response = api(desk).post(url(round, "reopen"))
    assert response.status_code == 409 and "aggregat" in response.json()["detail"]
    assert api(desk).post("/api/v1/rounds/999999/close/").status_code == 404


def test_terms_through_the_api(api, make_round, member_a, desk):
    round = make_round()
    assert api(member_a).post(url(round, "demand"), LINE, format="json").status_code == 409
    response = api(member_a).post(url(round, "terms"))
    assert response.status_code == 200 and response.json()["accepted_by"] == member_a.email
    assert api(desk).post(url(round, "terms")).status_code == 403
    assert api(member_a).post(url(round, "demand"), LINE, format="json").status_code == 201


# ---- lines -----------------------------------------------------------------------------------


def test_create_then_same_key_replaces_with_200(api, open_round, member_a):
    client = api(member_a)
    created = client.post(url(open_round, "demand"), LINE, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (
        body["quantity"] == "40.000000"
        and body["quantity_t"] == "40.000000"
        and body["version"] == 1
    )
    assert (
        body["commitment"] == "indicative"
        and body["delivery_country"] == "DE"
        and "firm" not in body
    )
    replaced = client.post(
        url(open_round, "demand"),
        {**LINE, "quantity": 2500, "unit": "kg", "commitment": "verbindlich"},
        format="json",
    )
    assert replaced.status_code == 200
    assert replaced.json()["id"] == body["id"] and replaced.json()["quantity_t"] == "2.500000"
    assert replaced.json()["commitment"] == "firm" and replaced.json()["version"] == 2


def test_invalid_line_is_400_with_field_messages(api, open_round, member_a):
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "period": "2040", "quantity": "-1"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"quantity"} or set(response.json()) >= {"period"}
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "quantity": "viel", "unit": "g"}, format="json"
    )
    assert response.status_code == 400 and {"quantity", "unit"} <= set(response.json())
    assert not DemandLine.objects.exists()


def test_list_get_put_delete(api, open_round, member_a, colleague_a):
    line = api(member_a).post(url(open_round, "demand"), LINE, format="json").json()
    client = api(colleague_a)  # a colleague works on the firm's lines too
    assert [row["id"] for row in results(client.get(url(open_round, "demand")))] == [line["id"]]
    assert client.get(url(open_round, "demand", line["id"])).json()["quantity"] == "40.000000"
    put = client.put(
        url(open_round, "demand", line["id"]),
        {**LINE, "quantity": "45.5", "version": 1},
        format="json",
    )
    assert put.status_code == 200 and put.json()["version"] == 2 and put.json()["entered_by"]
    stale = api(member_a).put(
        url(open_round, "demand", line["id"]),
        {**LINE, "quantity": "50", "version": 1},
        format="json",
    )
    assert stale.status_code == 409 and "meanwhile" in stale.json()["detail"]
    assert client.delete(url(open_round, "demand", line["id"])).status_code == 204
    assert client.get(url(open_round, "demand", line["id"])).status_code == 404
    assert results(client.get(url(open_round, "demand"))) == []
    assert DemandLine.objects.get(pk=line["id"]).history.count() == 2  # kept


def test_deadline_race_a_save_after_closes_at_gets_409(api, open_round, member_a):
    line = api(member_a).post(url(open_round, "demand"), LINE, format="json").json()
    DemandRound.objects.filter(pk=open_round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(milliseconds=1)
    )
    client = api(member_a)
    assert (
        client.post(
            url(open_round, "demand"), {**LINE, "period": "2028"}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.put(
            url(open_round, "demand", line["id"]), {**LINE, "quantity": "1"}, format="json"
        ).status_code
        == 409
    )
    assert client.delete(url(open_round, "demand", line["id"])).status_code == 409
    upload = client.post(
        url(open_round, "demand", "upload"),
        {"file": io.BytesIO(csv_bytes("material,period,quantity,unit\nndpr-oxide,2027,1,t\n"))},
        format="multipart",
    )
    assert upload.status_code == 409
    assert DemandLine.objects.get().quantity == 40


def test_desk_reads_all_lines_with_firm_and_screens(api, open_round, member_a, member_b, desk):
    a = api(member_a).post(url(open_round, "demand"), LINE, format="json").json()
    api(member_b).post(url(open_round, "demand"), {**LINE, "quantity": "7"}, format="json")
    rows = results(api(desk).get(url(open_round, "demand")))
    assert sorted(r["firm"] for r in rows) == ["Firm A GmbH", "Firm B AG"]
    assert (
        api(member_a)
        .post(url(open_round, "demand", a["id"], "exclude"), {"reason": "x"})
        .status_code
        == 403
    )
    assert (
        api(desk).post(url(open_round, "demand", a["id"], "exclude"), {}, format="json").status_code
        == 400
    )
    excluded = api(desk).post(
        url(open_round, "demand", a["id"], "exclude"), {"reason": "Ausreißer"}, format="json"
    )
    assert excluded.status_code == 200 and excluded.json()["excluded"] is True
    seen = api(member_a).get(url(open_round, "demand", a["id"])).json()
    assert seen["excluded"] is True and seen["exclusion_reason"] == "Ausreißer"
    assert api(desk).post(url(open_round, "demand", a["id"], "restore")).json()["excluded"] is False
    assert api(desk).post(url(open_round, "demand", a["id"], "restore")).status_code == 409
    assert api(desk).post(url(open_round, "demand"), LINE, format="json").status_code == 403


def test_upload_201_and_400_shape(api, open_round, member_a):
    client = api(member_a)
    good = csv_bytes(
        "material;period;quantity;unit\nlithium-hydroxide;2027;1.500,5;t\nndpr-oxide;2028-Q1;20;kg\n"
    )
    response = client.post(
        url(open_round, "demand", "upload"), {"file": io.BytesIO(good)}, format="multipart"
    )
    assert response.status_code == 201 and response.json() == {"created": 2, "replaced": 0}
    again = client.post(
        url(open_round, "demand", "upload"), {"file": io.BytesIO(good)}, format="multipart"
    )
    assert again.json() == {"created": 0, "replaced": 2}
    bad = csv_bytes("material,period,quantity,unit\nlithium-hydroxide,2027,0,t\n")
    response = client.post(
        url(open_round, "demand", "upload"),
        {"file": io.BytesIO(bad)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"row": 2, "column": "quantity", "message": response.json()["errors"][0]["message"]}
        ]
    }
    assert "greater than zero" in response.json()["errors"][0]["message"]
    missing = client.post(url(open_round, "demand", "upload"), {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["errors"][0]["row"] is None


# ---- tenancy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["member_b", "analyst", "ministry"])
def test_nobody_else_sees_a_firms_line_through_the_api(
    api, open_round, member_a, outsider, request
):
    line = api(member_a).post(url(open_round, "demand"), LINE, format="json").json()
    client = api(request.getfixturevalue(outsider))
    expected_line = (
        404 if outsider == "member_b" else 403
    )  # agency and ministry may not use line endpoints at all
    assert client.get(url(open_round, "demand", line["id"])).status_code == expected_line
    assert (
        client.put(url(open_round, "demand", line["id"]), LINE, format="json").status_code
        == expected_line
    )
    assert client.delete(url(open_round, "demand", line["id"])).status_code == expected_line
    listing = client.get(url(open_round, "demand"))
    if outsider == "member_b":
        assert listing.status_code == 200 and results(listing) == []
        assert listing.json().get("count", 0) == 0  # not even a count
    else:
        assert listing.status_code == 403
    assert DemandLine.objects.get(pk=line["id"]).withdrawn_at is None


def test_member_b_posting_the_same_key_gets_its_own_line(api, open_round, member_a, member_b):
    a = api(member_a).post(url(open_round, "demand"), LINE, format="json").json()
    b = api(member_b).post(url(open_round, "demand"), LINE, format="json")
    assert b.status_code == 201 and b.json()["id"] != a["id"]


def test_openapi_documents_every_status(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/rounds/{round_pk}/demand/"]["post"]["responses"]) >= {
        "200",
        "201",
        "400",
        "401",
        "403",
        "404",
        "409",
    }
    assert set(paths["/api/v1/rounds/{round_pk}/demand/{id}/"]["put"]["responses"]) >= {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
    }
    assert set(paths["/api/v1/rounds/{round_pk}/demand/upload/"]["post"]["responses"]) >= {
        "201",
        "400",
        "401",
        "403",
        "404",
        "409",
    }
    assert set(paths["/api/v1/rounds/{id}/close/"]["post"]["responses"]) >= {
        "200",
        "401",
        "403",
        "404",
        "409",
    }
    assert set(paths["/api/v1/rounds/"]["post"]["responses"]) >= {"201", "400", "401", "403"}


def test_a_quantity_sent_as_a_json_number_keeps_every_digit(api, open_round, member_a):
    """JSON numbers are read as Decimal, never through float (which keeps ~15 digits)."""
    body = b'{"material": "lithium-hydroxide", "period": "2027", "quantity": 12345678901234.123456, "unit": "kg"}'
    response = api(member_a).post(url(open_round, "demand"), body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == "12345678901234.123456"
    assert response.json()["quantity_t"] == "12345678901.234123"


# ---- one number notation (issue 9, item 3) ---------------------------------------------------


@pytest.mark.parametrize(
    "quantity", ["1.500,5", "1,5", "1 500.5", "1,500.5", "1.500.000", "NaN", "Infinity", True, []]
)
def test_a_quantity_not_in_the_apis_one_notation_is_a_400_naming_the_field(
    api, open_round, member_a, quantity
):
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "quantity": quantity}, format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"quantity"}
    assert not DemandLine.objects.exists()


@pytest.mark.parametrize("quantity", ["1500.5", 1500.5, " 1500.5 ", "+1500.50"])
def test_a_quantity_as_a_json_number_or_a_plain_decimal_string_is_taken(
    api, open_round, member_a, quantity
):
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "quantity": quantity}, format="json"
    )
    assert response.status_code == 201, response.content
    assert DemandLine.objects.get().quantity_t == Decimal("1500.5")


def test_a_put_with_a_german_number_is_refused_and_changes_nothing(api, open_round, member_a):
    client = api(member_a)
    line = client.post(url(open_round, "demand"), LINE, format="json").json()
    response = client.put(
        url(open_round, "demand", line["id"]),
        {**LINE, "quantity": "1.500,5", "version": 1},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"quantity"}
    assert DemandLine.objects.get().quantity == 40


@pytest.mark.parametrize(
    "name",
    ["Lithiumhydroxid-Monohydrat", "lithium HYDROXIDE monohydrate", "  LITHIUM-HYDROXIDE "],
)
def test_the_lines_api_takes_a_material_by_german_or_english_name_in_any_case(
    api, open_round, member_a, name
):
    # The same resolver as the grid and the demand file (industry.lines.rules.material_of).
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "material": name}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["material"] == "lithium-hydroxide"
    line = DemandLine.objects.get()
    assert line.material.code == "lithium-hydroxide"
    # Named again by code, it is the same line (same key): replaced, not added.
    again = api(member_a).post(url(open_round, "demand"), LINE, format="json")
    assert again.status_code == 200 and DemandLine.objects.count() == 1


def test_the_lines_api_refuses_an_unknown_name_with_a_400_naming_the_field(
    api, open_round, member_a
):
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "material": "Unobtainium"}, format="json"
    )
    assert response.status_code == 400
    assert "Unobtainium" in response.json()["material"][0]
    response = api(member_a).post(
        url(open_round, "demand"), {**LINE, "material": "x" * 5000}, format="json"
    )
    assert response.status_code == 400 and "material" in response.json()
    assert not DemandLine.objects.exists()
