"""Forms of offtake contracts and their delivery schedules: parse and check single fields; the rules
live in the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from industry.models import DemandRound, RoundState
from rohstoff.core.forms import LocalDecimalField, QuarterField
from rohstoff.core.periods import Quarter

from ..form_fields import DateInput
from ..models import (
    ContractState,
    Counterparty,
    OfftakeContract,
    PriceIndex,
)
from .services import CONTRACT_FIELDS

DECIMAL_FIELDS = [
    "annual_volume_t",
    "tolerance_pct",
    "take_or_pay_pct",
    "fixed_price",
    "premium",
    "floor",
    "cap",
    "fee_value",
    "lot_size_t",
]

# Empty means zero for these.
OPTIONAL_ZERO = {"premium", "fee_value", "take_or_pay_pct"}


class ContractForm(forms.ModelForm):
    start_quarter = QuarterField(label=_("First quarter"))
    end_quarter = QuarterField(label=_("Last quarter"))

    class Meta:
        model = OfftakeContract
        fields = CONTRACT_FIELDS
        help_texts = {
            "reference": _("Your reference, e.g. OFF-2027-001."),
            "annual_volume_t": _("Tonnes of the material's form per year."),
            "tolerance_pct": _(
                "Deliveries within ± this share of the scheduled quantity count as complete."
            ),
            "lot_size_t": _("Members are allocated whole lots; 0.001 t = 1 kg."),
            "premium": _("Added to the index average; a discount is negative."),
            "floor": _("Optional: the price never falls below it."),
            "cap": _("Optional: the price never rises above it."),
            "fee_value": _("The house fee the members pay on top of the contract price."),
            "incoterm_place": _("e.g. Hamburg port"),
            "grade": _("e.g. battery grade ≥ 56.5 % LiOH"),
        }

    field_order = Meta.fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DECIMAL_FIELDS:
            old = self.fields[name]
            self.fields[name] = LocalDecimalField(
                label=old.label,
                required=old.required and name not in OPTIONAL_ZERO,
                help_text=old.help_text,
                initial=old.initial,
            )
        self.fields["round"].queryset = DemandRound.objects.exclude(
            state=RoundState.DRAFT
        ).order_by("-opens_at")
        self.fields["index"].queryset = PriceIndex.objects.select_related("material")
        self.fields["counterparty"].queryset = Counterparty.objects.all()
        from agency.models import Project

        self.fields["project"].queryset = Project.objects.all()
        self.fields["material"].queryset = self.fields["material"].queryset.order_by(
            "sort_order", "code"
        )

    def clean_start_quarter(self):
        return self.cleaned_data["start_quarter"].index  # models store a quarter's index

    def clean_end_quarter(self):
        return self.cleaned_data["end_quarter"].index

    def clean_fee_value(self):
        return self.cleaned_data.get("fee_value") or Decimal(0)

    def clean_premium(self):
        return self.cleaned_data.get("premium") or Decimal(0)

    def clean_take_or_pay_pct(self):
        return self.cleaned_data.get("take_or_pay_pct") or Decimal(0)

    def _post_clean(self):
        # The service checks the model; the form only parses.
        pass

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=ContractState.choices)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DateInput())


class ScheduleForm(forms.Form):
    """One field per quarter of the contract's term."""

    def __init__(self, *args, contract: OfftakeContract, entries: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.quarters = list(range(contract.start_quarter, contract.end_quarter + 1))
        for q in self.quarters:
            self.fields[f"q{q}"] = LocalDecimalField(
                label=str(Quarter.from_index(q)),
                required=False,
                initial=entries.get(q),
            )

    def entries(self) -> dict[int, Decimal]:
        return {q: self.cleaned_data.get(f"q{q}") or Decimal(0) for q in self.quarters}

    def rows(self):
        """Fields grouped by year, for a table with one row per year."""
        years: dict[int, list] = {}
        for q in self.quarters:
            years.setdefault(Quarter.from_index(q).year, []).append(self[f"q{q}"])
        return sorted(years.items())
