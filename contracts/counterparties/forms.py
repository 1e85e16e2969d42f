"""Forms of counterparties (the suppliers the trading house contracts with): parse and check single
fields; the rules live in the services."""

from __future__ import annotations

from django import forms

from ..models import (
    Counterparty,
)


class CounterpartyForm(forms.ModelForm):
    class Meta:
        model = Counterparty
        fields = ["name", "kind", "country", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
