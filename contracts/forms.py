"""Forms of the contract pages: parse and check single fields; the rules live in the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from industry.models import DemandRound, RoundState
from rohstoff.core.periods import PeriodError, Quarter
from rohstoff.core.units import parse_decimal

from .models import (
    ContractState,
    Counterparty,
    Currency,
    DocumentKind,
    OfftakeContract,
    PriceIndex,
)


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


class CounterpartyForm(forms.ModelForm):
    class Meta:
        model = Counterparty
        fields = ["name", "kind", "country", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


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
        fields = [
            "reference",
            "counterparty",
            "round",
            "material",
            "grade",
            "project",
            "start_quarter",
            "end_quarter",
            "annual_volume_t",
            "tolerance_pct",
            "take_or_pay_pct",
            "lot_size_t",
            "incoterm",
            "incoterm_place",
            "currency",
            "price_unit",
            "pricing_type",
            "fixed_price",
            "index",
            "quotational_period",
            "premium",
            "floor",
            "cap",
            "fee_type",
            "fee_value",
        ]
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


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xlsx,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.CONTRACT_DOCUMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("PDF, XLSX or DOCX, up to %(limit)s MB.") % {
            "limit": limit
        }


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


class OverrideForm(forms.Form):
    quantity_t = LocalDecimalField(label=_("New share (t)"))
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=_("The firm sees it."))


class ReleaseForm(forms.Form):
    respond_by = forms.DateTimeField(
        label=_("Members answer by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = timezone.localtime() + datetime.timedelta(days=14)
        self.fields["respond_by"].initial = default.replace(
            hour=17, minute=0, second=0, microsecond=0
        )
