"""Forms of the market: parse and check single fields; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import PriceIndex
from rohstoff.core.forms import LocalDecimalField

from .models import Call, Offer
from .services import OFFER_FIELDS, addressable_suppliers

DECIMALS = ["minimum_t", "fixed_price", "premium", "floor", "cap"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = [
            "round",
            "title",
            "deadline",
            "terms",
            "specifications",
            "diversification_limit",
            "addressees",
        ]
        widgets = {
            "addressees": forms.CheckboxSelectMultiple(),
            "deadline": DateTimeInput(),
            "terms": forms.Textarea(attrs={"rows": 4}),
            "specifications": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, rounds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds
        self.fields["round"].help_text = _("Rounds whose positions are published.")
        suppliers = addressable_suppliers()
        self.fields["addressees"].queryset = suppliers
        # Two suppliers of a similar name are told apart by their country.
        self.fields["addressees"].label_from_instance = lambda org: (
            f"{org.name} ({org.country.name})" if org.country else org.name
        )
        self.fields["addressees"].required = True
        self.fields["addressees"].initial = list(suppliers)
        self.fields["addressees"].help_text = _(
            "Only these suppliers see the call and may offer; each is mailed a link."
        )
        self.fields["deadline"].input_formats = ["%Y-%m-%dT%H:%M"]
        old = self.fields["diversification_limit"]
        self.fields["diversification_limit"] = LocalDecimalField(
            label=old.label, help_text=old.help_text, initial=old.initial
        )


class OfferForm(forms.ModelForm):
    """The offer's terms, and one volume field per quarter of the call's round."""

    class Meta:
        model = Offer
        fields = OFFER_FIELDS
        widgets = {"esg": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "minimum_t": _("The least you accept over the whole offer (all quarters); 0 = none."),
            "premium": _("Added to the index value; a discount is negative."),
            "incoterm_place": _("e.g. Rotterdam port"),
            "esg": _("Certifications, audits, carbon footprint: in your words."),
        }

    def __init__(self, *args, call: Call, quarters: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        for name in DECIMALS:
            old = self.fields[name]
            self.fields[name] = LocalDecimalField(
                label=old.label,
                required=False,
                help_text=old.help_text,
                initial=old.initial,
            )
        self.fields["material"].queryset = call.round.materials.order_by("sort_order")
        self.fields["index"].queryset = PriceIndex.objects.filter(
            material__in=call.round.materials.all()
        ).select_related("material")
        self.quarter_fields = []
        for q in call.round.quarters():
            name = f"q_{q.index}"
            self.fields[name] = LocalDecimalField(
                label=_("%(quarter)s volume (t)") % {"quarter": q},
                required=False,
                initial=(quarters or {}).get(q.index),
            )
            self.quarter_fields.append(name)

    def quarters(self) -> dict:
        """The volumes entered, by quarter index (empty fields and zeros left out)."""
        return {
            int(name[2:]): self.cleaned_data[name]
            for name in self.quarter_fields
            if self.cleaned_data.get(name)
        }

    def offer_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in OFFER_FIELDS}


class OfferFileForm(forms.Form):
    file = forms.FileField(label=_("Offer file (CSV or XLSX)"))


class OfferDocumentForm(forms.Form):
    file = forms.FileField(label=_("Document (PDF, XLSX or DOCX)"))


class AdjustForm(forms.Form):
    quantity_t = LocalDecimalField(label=_("Tonnes"), min_value=0)
    reason = forms.CharField(label=_("Reason"), max_length=2000)
