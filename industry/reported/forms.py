"""The form of a reported contract: it parses what people type; the service applies the rules."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rohstoff.core.forms import LocalDecimalField, add_service_errors
from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter
from rohstoff.core.units import Unit

from ..models import ReportedContract
from .services import MAX_QUARTERS, NOTE_MAX_LENGTH, SUPPLIER_MAX_LENGTH


class MaterialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class ReportedContractForm(forms.Form):
    material = MaterialChoiceField(label=_("Material"), queryset=Material.objects.all())
    origin_country = forms.ChoiceField(label=_("Origin country"))
    supplier_name = forms.CharField(
        label=_("Supplier"),
        required=False,
        max_length=SUPPLIER_MAX_LENGTH,
        help_text=_("Optional. Only your firm sees it."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.TONNE)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin_country"].choices = [("", "—"), *countries]
        for i in range(1, MAX_QUARTERS + 1):
            self.fields[f"quarter_{i}"] = forms.CharField(
                label=_("Quarter %(n)s") % {"n": i},
                required=False,
                max_length=10,
                # An example in the first row only: the same text in every row reads as data.
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", **({"placeholder": "2027-Q1"} if i == 1 else {})}
                ),
            )
            self.fields[f"quantity_{i}"] = LocalDecimalField(
                label=_("Volume %(n)s") % {"n": i}, required=False
            )

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service's errors beside their fields; its "volumes" at the first quarter, so
        that the error summary links to the table of quarters."""
        if hasattr(exc, "error_dict") and "volumes" in exc.error_dict:
            exc = ValidationError(
                {("quarter_1" if k == "volumes" else k): v for k, v in exc.error_dict.items()}
            )
        add_service_errors(self, exc)

    @property
    def volume_rows(self):
        return [(self[f"quarter_{i}"], self[f"quantity_{i}"]) for i in range(1, MAX_QUARTERS + 1)]

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "material": data["material"],
            "origin_country": data["origin_country"],
            "supplier_name": data.get("supplier_name", ""),
            "unit": data["unit"],
            "note": data.get("note", ""),
            "volumes": [
                (data.get(f"quarter_{i}") or "", data.get(f"quantity_{i}"))
                for i in range(1, MAX_QUARTERS + 1)
            ],
        }

    @classmethod
    def initial_for(cls, contract: ReportedContract) -> dict:
        initial = {
            "material": contract.material,
            "origin_country": str(contract.origin_country),
            "supplier_name": contract.supplier_name,
            "unit": contract.unit,
            "note": contract.note,
        }
        for i, q in enumerate(contract.quarters.all(), start=1):
            initial[f"quarter_{i}"] = str(Quarter.from_index(q.quarter))
            initial[f"quantity_{i}"] = q.quantity
        return initial
