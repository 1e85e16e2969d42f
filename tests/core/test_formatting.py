"""One formatter per kind of value: the same figure reads the same on every page, chart and mail,
in the reader's language, and cannot be misread (no "38.000 t" for thirty-eight tonnes)."""

import datetime
from decimal import Decimal as D

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from rohstoff.core.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_percent,
    format_tonnes,
    plotly_separators,
    plotly_tonnes,
)
from rohstoff.core.forms import LocalDecimalField, QuarterField
from rohstoff.core.language import reader_language, uses_decimal_comma
from rohstoff.core.periods import Quarter

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "de", "en"),
    [
        (D("2381.5"), "2.381,5 t", "2,381.5 t"),
        (D("38.000000"), "38 t", "38 t"),  # trailing zeros dropped: never "38.000 t"
        (D("1234567.891234"), "1.234.567,891 t", "1,234,567.891 t"),  # kilograms
        (D("1234.0005"), "1.234,001 t", "1,234.001 t"),  # half up for display
        (D("0.5"), "0,5 t", "0.5 t"),
        (D("0.000123"), "0,000123 t", "0.000123 t"),  # below 1 t: grams, never "0 t"
        (D("-1500.25"), "-1.500,25 t", "-1,500.25 t"),
        (D("-0.0000001"), "0 t", "0 t"),  # no "-0"
        (D("0"), "0 t", "0 t"),
        (7, "7 t", "7 t"),
        (None, "–", "–"),
    ],
)
def test_tonnes_in_german_and_english(value, de, en):
    assert format_tonnes(value, language="de") == de.replace(" ", NB)
    assert format_tonnes(value, language="en") == en.replace(" ", NB)


def test_tonnes_follow_the_active_language_and_take_fixed_places():
    with translation.override("en"):
        assert format_tonnes(D("1500.123456")) == f"1,500.123{NB}t"
        assert format_tonnes(D("1500.123456"), places=6) == f"1,500.123456{NB}t"
    with translation.override("de"):
        assert format_tonnes(D("1500.123456"), places=1) == f"1.500,1{NB}t"


def test_a_float_or_a_text_is_read_exactly_and_garbage_is_refused():
    assert format_tonnes(0.1, language="en") == f"0.1{NB}t"
    assert format_tonnes("12.5", language="de") == f"12,5{NB}t"
    with pytest.raises(ValueError):
        format_tonnes("twelve", language="de")
    with pytest.raises(ValueError):
        format_tonnes(D("NaN"), language="de")


def test_money_always_shows_cents_currency_and_unit():
    assert format_money(D("12345.675"), "EUR", "t", language="de") == f"12.345,68{NB}EUR/t"
    assert format_money(D("12345.6"), "USD", "kg", language="en") == f"12,345.60{NB}USD/kg"
    assert format_money(D("-500"), "EUR", language="de") == f"-500,00{NB}EUR"
    assert format_money(D("11.5"), language="en") == "11.50"  # an index value, no currency
    assert format_money(None, "EUR") == "–"


def test_percentages_of_a_fraction_and_of_per_cent_values():
    assert format_percent(D("0.0423"), language="de") == f"4,2{NB}%"
    assert format_percent(D("0.0423"), language="en") == f"4.2{NB}%"
    assert format_percent(D("0.5"), language="de") == f"50{NB}%"
    assert format_percent(D("0.6"), 0, language="en") == f"60{NB}%"
    assert format_percent(D("5.00"), 2, points=True, language="de") == f"5{NB}%"
    assert format_percent(D("2.5"), 2, points=True, language="de") == f"2,5{NB}%"
    assert format_percent(None) == "–"


def test_plain_numbers_group_and_drop_trailing_zeros():
    assert format_number(D("1.082300"), language="de") == "1,0823"
    assert format_number(D("12000"), language="de") == "12.000"
    assert format_number(D("12000"), language="en") == "12,000"
    assert format_number(D("0.165390"), 5, language="en") == "0.16539"


def test_dates_are_never_month_first():
    moment = timezone.make_aware(datetime.datetime(2026, 9, 3, 17, 13))
    assert format_datetime(moment, language="de") == "03.09.2026, 17:13"
    assert format_datetime(moment, language="en") == "3 Sep 2026, 17:13"
    assert format_date(moment.date(), language="de") == "03.09.2026"
    assert format_date(moment.date(), language="en") == "3 Sep 2026"
    assert format_datetime(None) == "–"
    # A moment in UTC is written in the platform's time zone (Europe/Berlin, summer: +2 h).
    utc = datetime.datetime(2026, 9, 3, 15, 13, tzinfo=datetime.UTC)
    assert format_datetime(utc, language="en") == "3 Sep 2026, 17:13"
    # Django's own |date filter writes the same forms.
    with translation.override("en"):
        assert Template('{{ d|date:"SHORT_DATE_FORMAT" }}').render(Context({"d": moment})) == (
            "3 Sep 2026"
        )


def test_chart_separators_in_german_and_english():
    assert plotly_separators("de") == ",."  # decimal comma, thousands dot
    assert plotly_separators("en") == ".,"
    with translation.override("de"):
        assert plotly_separators() == ",."
    assert plotly_tonnes("y") == f"%{{y:,.3~f}}{NB}t"


def test_filters_render_each_kind_of_value():
    class Contract:
        currency, price_unit = "EUR", "t"

    template = Template(
        "{% load rohstoff_format %}{{ q|tonnes }}|{{ p|price:c }}|{{ a|money:c.currency }}|"
        "{{ share|percent }}|{{ tol|pct }}|{{ rate|number:6 }}|{{ at|when }}|{{ on|day }}|"
        "{{ none|tonnes }}|{{ empty|tonnes }}|{{ text|tonnes }}"
    )
    moment = timezone.make_aware(datetime.datetime(2026, 9, 12, 17, 13))
    context = {
        "q": D("2381.500000"),
        "p": D("12345.67"),
        "a": D("1000"),
        "c": Contract(),
        "share": D("0.152"),
        "tol": D("5.00"),
        "rate": D("1.082300"),
        "at": moment,
        "on": moment.date(),
        "none": None,
        "empty": "",
        "text": "abc",
    }
    with translation.override("de"):
        out = template.render(Context(context))
    assert out == (
        f"2.381,5{NB}t|12.345,67{NB}EUR/t|1.000,00{NB}EUR|15,2{NB}%|5{NB}%|1,0823|"
        "12.09.2026, 17:13|12.09.2026|–|–|"
    )


def test_the_reader_language():
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "en-gb"
    assert reader_language(request=request) == "en"
    request.LANGUAGE_CODE = "fr"
    assert reader_language(request=request) == "de"  # unsupported: the platform's language

    class Recipient:
        language = "en"

    class Silent:  # no saved language: the platform's language, whatever the page's
        pass

    with translation.override("en"):
        assert reader_language() == "en"
        assert reader_language(user=Recipient()) == "en"
        assert reader_language(user=Silent()) == "de"
        assert not uses_decimal_comma()
    with translation.override("de"):
        assert uses_decimal_comma()


class _Form(forms.Form):
    quantity = LocalDecimalField(max_digits=18, decimal_places=6)
    quarter = QuarterField()


@pytest.mark.parametrize(
    ("language", "typed", "value"),
    [
        ("de", "1.500,5", D("1500.5")),
        ("de", "1.500", D("1500")),  # fifteen hundred to a German reader
        ("de", "0,001", D("0.001")),
        ("en", "1,500.5", D("1500.5")),
        ("en", "1.500", D("1.5")),  # one and a half to an English one
    ],
)
def test_the_decimal_field_reads_numbers_as_people_type_them(language, typed, value):
    with translation.override(language):
        form = _Form({"quantity": typed, "quarter": "2027-q3"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity"] == value
    assert form.cleaned_data["quarter"] == Quarter(2027, 3)


def test_the_fields_refuse_garbage_with_a_message_in_the_reader_language():
    with translation.override("de"):
        form = _Form({"quantity": "1,2,3,4", "quarter": "2027-Q5"})
        assert not form.is_valid()
        assert form.errors["quantity"] == ["Geben Sie eine Zahl ein, z. B. 1.500,5 oder 1500,5."]
        assert form.errors["quarter"] == ["Schreiben Sie ein Quartal wie 2027-Q1."]
    too_precise = _Form({"quantity": "1.1234567", "quarter": "2027-Q1"})
    assert not too_precise.is_valid() and "quantity" in too_precise.errors


def test_the_fields_show_a_value_back_as_the_reader_writes_it():
    with translation.override("de"):
        form = _Form(initial={"quantity": D("1500.500000"), "quarter": Quarter(2027, 3).index})
        assert 'value="1500,5"' in str(form["quantity"])
        assert 'value="2027-Q3"' in str(form["quarter"])
    with translation.override("en"):
        assert 'value="1500.5"' in str(_Form(initial={"quantity": D("1500.5")})["quantity"])
