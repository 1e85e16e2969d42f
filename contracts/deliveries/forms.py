"""Forms of deliveries against a contract's schedule: parse and check single fields; the rules live
in the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField
from rohstoff.core.periods import Quarter

from ..form_fields import DateInput
from ..models import (
    OfftakeContract,
)


class DeliveryForm(forms.Form):
    quarter = forms.TypedChoiceField(
        label=_("Counts against"),
        coerce=int,
        help_text=_("The scheduled quarter this delivery belongs to."),
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())
    quantity_t = LocalDecimalField(label=_("Quantity (t)"))
    assay = forms.CharField(
        label=_("Grade / assay"),
        max_length=200,
        required=False,
        help_text=_("e.g. Li2O 6.1 %, moisture 0.4 %"),
    )
    provisional_pct = LocalDecimalField(label=_("Provisional invoice %"), initial=Decimal("90"))
    provisional_price = LocalDecimalField(
        label=_("Provisional price"),
        required=False,
        help_text=_("Per price unit of the contract; proposed from the pricing rule."),
    )
    final_price = LocalDecimalField(
        label=_("Final price"), required=False, help_text=_("Once the quotational period is over.")
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, contract: OfftakeContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = [
            (q, str(Quarter.from_index(q)))
            for q in contract.schedule.values_list("quarter", flat=True)
        ]
        suffix = f" ({contract.currency}/{contract.price_unit})"
        self.fields["provisional_price"].label = (
            str(self.fields["provisional_price"].label) + suffix
        )
        self.fields["final_price"].label = str(self.fields["final_price"].label) + suffix

    def clean_provisional_pct(self):
        value = self.cleaned_data["provisional_pct"]
        if value is not None and not Decimal(0) < value <= Decimal(100):
            raise forms.ValidationError(_("Between 0 and 100."))
        return value
