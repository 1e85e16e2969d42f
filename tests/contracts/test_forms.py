"""Numbers in forms as people write them, per language, and back."""

from decimal import Decimal

import pytest
from django.utils import translation

from contracts.form_fields import LocalDecimalField


@pytest.mark.parametrize(
    "lang,text,value",
    [
        ("de", "1.500,5", Decimal("1500.5")),
        ("de", "0,001", Decimal("0.001")),
        ("de", "1.500", Decimal("1500")),
        ("en", "1,500.5", Decimal("1500.5")),
        ("en", "0.001", Decimal("0.001")),
        ("en", "1,500", Decimal("1500")),
    ],
)
def test_numbers_as_written(lang, text, value):
    with translation.override(lang):
        assert LocalDecimalField().clean(text) == value


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_shown_value_reads_back_the_same(lang):
    field = LocalDecimalField()
    with translation.override(lang):
        for value in (Decimal("0.001"), Decimal("1250.5"), Decimal("40")):
            assert field.clean(field.prepare_value(value)) == value
    with translation.override("de"):
        assert field.prepare_value(Decimal("0.001000")) == "0,001"
