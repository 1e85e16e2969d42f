"""Malformed input answers 400 with a message, never a 500 or a silently different value: one
number notation in the API, no NaN or Infinity, no NUL characters anywhere, bounded nesting and
body size (docs/security.md)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers

from industry.models import DemandRound
from rohstoff.core.api_fields import QuantityField, StrictDecimalField
from rohstoff.core.api_parsers import MAX_JSON_DEPTH


def post_json(client, path, body: str):
    return client.post(path, data=body, content_type="application/json")


def round_body(**changes) -> dict:
    now = timezone.now()
    body = {
        "title": "Magnete 2027",
        "materials": ["neodymium-oxide"],
        "first_period": "2027-Q1",
        "last_period": "2028-Q4",
        "opens_at": now.isoformat(),
        "closes_at": (now + datetime.timedelta(days=30)).isoformat(),
    }
    return body | changes


# ---- one number notation ---------------------------------------------------------------------


class LineInput(serializers.Serializer):
    quantity = QuantityField()
    price = StrictDecimalField(max_digits=12, decimal_places=2, required=False)


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (1500, Decimal("1500")),
        (Decimal("1500.5"), Decimal("1500.5")),  # a JSON number, read by our parser
        ("1500.5", Decimal("1500.5")),
        (" 1500.5 ", Decimal("1500.5")),
        ("12345678901234.123456", Decimal("12345678901234.123456")),
        ("-2", Decimal("-2")),
        ("0.001", Decimal("0.001")),
        (Decimal("1E+3"), Decimal("1000")),  # 1e3 as a JSON number is a number
    ],
)
def test_the_api_takes_json_numbers_and_plain_decimal_strings(sent, read):
    serializer = LineInput(data={"quantity": sent})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["quantity"] == read


@pytest.mark.parametrize(
    "sent",
    ["1.500,5", "1,5", "1,500.5", "1 500", "1e3", "NaN", "Infinity", "-inf", "", "abc", True, [1]],
)
def test_the_api_refuses_other_notations_naming_the_field(sent):
    serializer = LineInput(data={"quantity": sent})
    assert not serializer.is_valid()
    [message] = serializer.errors["quantity"]
    assert "Punkt als Dezimalzeichen" in message  # German, the default language


def test_digits_and_places_are_checked_as_declared():
    serializer = LineInput(data={"quantity": "1", "price": "10.123"})
    assert not serializer.is_valid() and list(serializer.errors) == ["price"]
    assert LineInput(data={"quantity": "1", "price": 10.5}).is_valid()


def test_a_quantity_goes_out_as_it_came_in():
    assert LineInput({"quantity": Decimal("1500.500")}).data["quantity"] == "1500.500"


# ---- JSON the parser refuses -----------------------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_with_400(api, desk, constant):
    body = json.dumps(round_body()).replace('"title"', f'"min_quantity_t": {constant}, "title"')
    response = post_json(api(desk), "/api/v1/rounds/", body)
    assert response.status_code == 400
    assert constant.lstrip("-") in response.json()["detail"]


def test_deeply_nested_json_is_refused_with_400(api, desk):
    deep = "[" * 100_000 + "]" * 100_000
    response = post_json(api(desk), "/api/v1/rounds/", deep)
    assert response.status_code == 400
    assert str(MAX_JSON_DEPTH) in response.json()["detail"]


def test_nesting_within_the_limit_and_brackets_in_text_are_fine(api, desk):
    title = "[[[[" * 20 + "{{{{" * 20  # brackets inside a string do not count
    body = round_body(title=title[:200], terms="x")
    response = post_json(api(desk), "/api/v1/rounds/", json.dumps(body))
    assert response.status_code == 201, response.json()


def test_a_body_over_the_limit_is_refused_with_400(api, desk, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = json.dumps(round_body(description="x" * 3000))
    response = post_json(api(desk), "/api/v1/rounds/", body)
    assert response.status_code == 400
    assert "2000" in response.json()["detail"]


def test_invalid_json_says_where(api, desk):
    response = post_json(api(desk), "/api/v1/rounds/", '{"title": "x",\n "materials": [}')
    assert response.status_code == 400
    assert "Zeile 2" in response.json()["detail"]


# ---- NUL characters --------------------------------------------------------------------------


def test_nul_in_a_json_string_is_refused_naming_the_field(api, desk):
    body = json.dumps(round_body(materials=["neodymium\u0000oxide"]))
    response = post_json(api(desk), "/api/v1/rounds/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["materials.0"]
    assert "NUL" in response.json()["materials.0"][0]


def test_nul_in_a_json_key_is_refused(api, desk):
    response = post_json(api(desk), "/api/v1/rounds/", '{"ti\\u0000tle": "x"}')
    assert response.status_code == 400 and "NUL" in response.json()["title"][0]


def test_an_api_form_post_is_refused_as_the_api_takes_json_only(api, desk):
    response = api(desk).post("/api/v1/rounds/", {"title": "a\x00b"}, format="multipart")
    assert response.status_code == 415
    assert not DemandRound.objects.exists()


@pytest.mark.parametrize(
    "path", ["/api/v1/materials/?search=%00", "/api/v1/materials/lithium%00carbonate/"]
)
def test_nul_in_an_api_path_or_query_is_refused(api, member_a, path):
    response = api(member_a).get(path)
    assert response.status_code == 400
    assert "NUL" in json.dumps(response.json())


@pytest.mark.parametrize("path", ["/materials/?q=%00", "/materials/lithium%00carbonate/"])
def test_nul_in_a_page_path_or_query_is_refused(login, member_a, path):
    response = login(member_a).get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_in_a_form_field_is_refused(login, member_a):
    response = login(member_a).post("/account/tokens/", {"name": "ERP\x00"})
    assert response.status_code == 400
    assert not member_a.api_tokens.exists()


def test_ordinary_requests_pass(login, api, member_a):
    assert login(member_a).get("/materials/?q=lithium").status_code == 200
    assert login(member_a).post("/account/tokens/", {"name": "ERP"}).status_code == 200
    assert api(member_a).get("/api/v1/materials/?search=lithium").status_code == 200
