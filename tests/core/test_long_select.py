"""rohstoff.core.forms.LongSelect writes the HTML of Django's Select, in Python."""

import re

import pytest
from django import forms
from django_countries import countries

from rohstoff.core.forms import LongSelect


def _tags(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("value", ["DE", "CL", "", None, "XX", ["FR"]])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_c", "required": True, "aria-describedby": "id_c_error"}]
)
def test_the_same_html_as_djangos_select(value, attrs):
    choices = [("", "---"), *countries, ("A&B", 'Say "<hi>"')]
    ours = LongSelect(choices=choices).render("country", value, attrs)
    django = forms.Select(choices=choices).render("country", value, attrs)
    assert _tags(ours) == _tags(django)
    assert ours.count("<option") == len(choices)


def test_grouped_choices_go_to_djangos_select():
    choices = [("Europe", [("DE", "Germany"), ("FR", "France")]), ("CL", "Chile")]
    ours = LongSelect(choices=choices).render("country", "FR", None)
    assert _tags(ours) == _tags(forms.Select(choices=choices).render("country", "FR", None))
    assert '<optgroup label="Europe">' in ours
