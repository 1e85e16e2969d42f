"""Form fields shared by the contract forms (numbers and quarters as people type them)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rohstoff.core.periods import PeriodError, Quarter
from rohstoff.core.units import parse_decimal


class LocalDecimalField(forms.DecimalField):
    """A number as people type it in German or English (1.500,5 or 1,500.5)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            # "1.500" is fifteen hundred to a German reader and one and a half to an English one.
            return parse_decimal(str(value), prefer_comma=(get_language() or "de").startswith("de"))
        except ValueError:
            raise forms.ValidationError(
                _("Enter a number, e.g. 1500 or 1500.5."), code="invalid"
            ) from None

    def prepare_value(self, value):
        """A Decimal as the reader writes it: 0,001 in German, 0.001 in English, no grouping."""
        if isinstance(value, Decimal):
            text = format(value, "f")
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text.replace(".", ",") if (get_language() or "de").startswith("de") else text
        return value


class QuarterField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", _("e.g. 2027-Q1"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"maxlength": "7", "placeholder": "2027-Q1"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Quarter.parse(value).index
        except PeriodError:
            raise forms.ValidationError(
                _("Write a quarter such as 2027-Q1."), code="invalid"
            ) from None

    def prepare_value(self, value):
        if isinstance(value, int):
            return str(Quarter.from_index(value))
        return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
