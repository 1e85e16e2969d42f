"""One set of demand-line rules: the grid's form, the API and a demand file give the same verdict
in the same words (industry/lines/rules.py), in German and in English."""

from decimal import Decimal

import pytest
from django.utils import translation

from industry.lines.services import check_line_values
from industry.models import DemandLine
from industry.upload import services as upload_services
from rohstoff.core.periods import Quarter

from .conftest import csv_bytes

GOOD = {
    "material": "ndpr-oxide",
    "period": "2028",
    "quantity": "40",
    "unit": "t",
    "commitment": "firm",
    "grade": "",
    "delivery_country": "DE",
}

# (values that differ from GOOD, the column at fault or None, the message in English and German).
# The round: 2027-Q2 to 2031-Q4, at least 10 t per line.
CASES = [
    ({"commitment": "verbindlich"}, None, None),
    ({"unit": "kg", "quantity": "15000"}, None, None),
    (
        {"material": "lithium-nitrate"},
        "material",
        {
            "en": "Unknown material lithium-nitrate.",
            "de": "Unbekanntes Material lithium-nitrate.",
        },
    ),
    (
        {"material": "lithium-carbonate"},
        "material",
        {
            "en": "lithium-carbonate is not one of this round's materials "
            "(cobalt-sulphate, dysprosium-oxide, lithium-hydroxide, ndpr-oxide).",
            "de": "lithium-carbonate gehört nicht zu den Materialien dieser Runde "
            "(cobalt-sulphate, dysprosium-oxide, lithium-hydroxide, ndpr-oxide).",
        },
    ),
    (
        {"period": "20x8"},
        "period",
        {
            "en": "20x8 is not a period; write a year (2027) or a quarter (2027-Q3).",
            "de": "20x8 ist kein Zeitraum; schreiben Sie ein Jahr (2027) oder ein Quartal (2027-Q3).",
        },
    ),
    (
        {"period": "2032-Q1"},
        "period",
        {
            "en": "2032-Q1 is outside the round's window (2027-Q2 to 2031-Q4).",
            "de": "2032-Q1 liegt außerhalb des Lieferfensters der Runde (2027-Q2 bis 2031-Q4).",
        },
    ),
    (
        {"period": "2027"},
        "period",
        {
            "en": "The year 2027 lies only partly inside the round's window (2027-Q2 to 2031-Q4); "
            "enter the quarters inside it instead.",
            "de": "Das Jahr 2027 liegt nur teilweise im Lieferfenster der Runde (2027-Q2 bis "
            "2031-Q4); geben Sie stattdessen die Quartale im Fenster an.",
        },
    ),
    (
        {"unit": "tonnes"},
        "unit",
        {
            "en": "Unknown unit tonnes; use t, kg or lb.",
            "de": "Unbekannte Einheit tonnes; verwenden Sie t, kg oder lb.",
        },
    ),
    (
        {"quantity": "0"},
        "quantity",
        {
            "en": "The quantity must be greater than zero (it is 0).",
            "de": "Die Menge muss größer als null sein (sie ist 0).",
        },
    ),
    (
        {"quantity": "12.1234567"},
        "quantity",
        {
            "en": "12.1234567 has more than 6 decimal places or more than 14 digits before the "
            "decimal point.",
            "de": "12,1234567 hat mehr als 6 Nachkommastellen oder mehr als 14 Stellen vor dem "
            "Komma.",
        },
    ),
    (
        {"quantity": "500", "unit": "kg"},
        "quantity",
        {
            "en": "500 kg is below the round's minimum of 10\u00a0t per line.",
            "de": "500 kg liegt unter der Mindestmenge der Runde von 10\u00a0t je Zeile.",
        },
    ),
    (
        {"commitment": "maybe"},
        "commitment",
        {
            "en": "Unknown commitment maybe; use indicative or firm (indikativ or verbindlich).",
            "de": "Unbekannte Verbindlichkeit maybe; verwenden Sie indicative oder firm "
            "(indikativ oder verbindlich).",
        },
    ),
    (
        {"grade": "x" * 201},
        "grade",
        {
            "en": "The grade may have at most 200 characters.",
            "de": "Die Qualität darf höchstens 200 Zeichen lang sein.",
        },
    ),
    (
        {"delivery_country": "XX"},
        "delivery_country",
        {
            "en": "XX is not an ISO 3166 country code (two letters, e.g. DE).",
            "de": "XX ist kein Ländercode nach ISO 3166 (zwei Buchstaben, z. B. DE).",
        },
    ),
]


def _german(text: str) -> str:
    """Numbers as a German reader types them (the cases hold no thousands separators)."""
    return text.replace(".", ",")


@pytest.fixture
def rules_round(make_round, member_a):
    from industry.rounds import services as round_services

    round = make_round(first=Quarter(2027, 2), min_quantity_t=Decimal("10"))
    round_services.terms_accept(round=round, actor=member_a)
    return round


def through_form(client, round, values, language):
    data = {
        f"new-{k}": (_german(v) if k == "quantity" and language == "de" else v)
        for k, v in values.items()
    }
    response = client.post(f"/rounds/{round.pk}/demand/", data, HTTP_ACCEPT_LANGUAGE=language)
    if response.status_code == 302:
        return {}
    return {k: [str(m) for m in v] for k, v in response.context["new_form"].errors.items()}


def through_api(api_client, round, values, language):
    response = api_client.post(
        f"/api/v1/rounds/{round.pk}/demand/", values, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    if response.status_code in (200, 201):
        return {}
    assert response.status_code == 400, response.content
    return response.json()


def through_file(round, member, values, language):
    columns = list(GOOD)
    if language == "de":
        sep = ";"
        row = [_german(values[c]) if c == "quantity" else values[c] for c in columns]
    else:
        sep, row = ",", [values[c] for c in columns]
    data = csv_bytes(sep.join(columns) + "\n" + sep.join(row) + "\n")
    with translation.override(language):
        result = upload_services.demand_import(
            round=round, actor=member, data=data, filename="x.csv"
        )
    errors: dict[str, list[str]] = {}
    for error in result.errors or []:
        errors.setdefault(error["column"], []).append(error["message"])
    return errors


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("changes", "column", "message"), CASES)
def test_form_api_and_file_give_the_same_verdict_in_the_same_words(
    rules_round, member_a, login, api, language, changes, column, message
):
    values = {**GOOD, **changes}
    client = login(member_a)
    verdicts = {}
    for path, check in (
        ("form", lambda: through_form(client, rules_round, values, language)),
        ("api", lambda: through_api(api(member_a), rules_round, values, language)),
        ("file", lambda: through_file(rules_round, member_a, values, language)),
    ):
        DemandLine.objects.filter(round=rules_round).delete()
        verdicts[path] = check()
    if column is None:
        assert verdicts == {"form": {}, "api": {}, "file": {}}
        return
    expected = message[language]
    assert verdicts == {
        "form": {column: [expected]},
        "api": {column: [expected]},
        "file": {column: [expected]},
    }


def test_the_service_alone_applies_the_rules(rules_round, materials):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        check_line_values(
            round=rules_round,
            material=materials["ndpr-oxide"],
            period="2028",
            quantity=Decimal("0"),
            unit="t",
        )
    assert caught.value.message_dict == {
        "quantity": ["The quantity must be greater than zero (it is 0)."]
    }
