"""Forms of price indices, FX rates and contract prices: parse and check single fields; the rules
live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField

from ..form_fields import DateInput
from ..models import (
    Currency,
    PriceIndex,
)


class IndexForm(forms.ModelForm):
    class Meta:
        model = PriceIndex
        fields = ["code", "name", "provider", "material", "currency", "unit"]
        help_texts = {"code": _("A short identifier, e.g. fm-lithium-hydroxide-cif-cjk")}


class IndexValueForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    value = LocalDecimalField(label=_("Value"))


class FxRateForm(forms.Form):
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[c for c in Currency.choices if c[0] != "EUR"]
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    per_eur = LocalDecimalField(
        label=_("Units per EUR"), help_text=_("As the ECB quotes it: 1 EUR = 1.08 USD")
    )
