"""Forms of the round pages and the member's grid: they parse what people type (German or English
numbers, material names or codes); the services apply the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField, LongSelect, QuarterField, country_choices
from rohstoff.core.models import Material
from rohstoff.core.periods import Period, PeriodError
from rohstoff.core.units import Unit

from .lines import rules
from .lines.rules import DEFAULT_COUNTRY
from .models import Commitment, DemandRound

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class MaterialsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    materials = MaterialsField(
        label=_("Materials in scope"),
        queryset=Material.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Demand is pooled per material code. Type in the search box to narrow the list."
        ),
    )
    first_period = QuarterField(label=_("First delivery quarter"))
    last_period = QuarterField(label=_("Last delivery quarter"))
    opens_at = forms.DateTimeField(
        label=_("Opens at"),
        input_formats=[DATETIME_FORMAT],
        help_text=_("Berlin time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        input_formats=[DATETIME_FORMAT],
        help_text=_("Berlin time; the round closes automatically then."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    min_quantity_t = LocalDecimalField(
        label=_("Minimum quantity per line (t)"),
        required=False,
        help_text=_("Compared with each line converted to tonnes. 0 for none."),
    )
    terms = forms.CharField(
        label=_("Participation terms"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Each firm accepts these before its first line."),
    )

    def clean_min_quantity_t(self):
        value = self.cleaned_data.get("min_quantity_t")
        if value is None:
            return Decimal("0")
        if value < 0:
            raise forms.ValidationError(_("The minimum quantity must be zero or more."))
        return value

    @classmethod
    def initial_for(cls, round: DemandRound) -> dict:
        return {
            "title": round.title,
            "description": round.description,
            "materials": list(round.materials.all()),
            "first_period": str(round.first_period),
            "last_period": str(round.last_period),
            "opens_at": round.opens_at,
            "closes_at": round.closes_at,
            "min_quantity_t": round.min_quantity_t,
            "terms": round.terms,
        }


class ReopenForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("New closing time"),
        input_formats=[DATETIME_FORMAT],
        help_text=_("Berlin time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class LineForm(forms.Form):
    """One line of the grid. ``round`` limits the material picker to the round's materials."""

    material = forms.CharField(
        label=_("Material"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "list": "round-materials",
                "autocomplete": "off",
                "placeholder": _("Type a name or code"),
            }
        ),
    )
    period = forms.CharField(
        label=_("Period"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"list": "round-periods", "autocomplete": "off", "placeholder": "2027-Q3"}
        ),
    )
    quantity = LocalDecimalField(label=_("Quantity"))
    # Picked from lists, but checked by the line's rules (industry.lines.rules) like the API's and
    # the demand file's values, so that a value outside the list gets the same words everywhere.
    unit = forms.CharField(
        label=_("Unit"), initial=Unit.TONNE, widget=forms.Select(choices=Unit.choices)
    )
    commitment = forms.CharField(
        label=_("Commitment"),
        initial=Commitment.INDICATIVE,
        widget=forms.Select(choices=Commitment.choices),
    )
    grade = forms.CharField(
        label=_("Grade"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. battery grade")}),
    )
    delivery_country = forms.CharField(
        label=_("Delivery country"), initial=DEFAULT_COUNTRY, widget=LongSelect()
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, round: DemandRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        self.fields["delivery_country"].widget.choices = country_choices()

    def add_error(self, field, error):
        super().add_error(field, error)
        # Tie each message to its input, so that screen readers read it with the field.
        for name in self._errors or {}:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def clean_material(self):
        text = self.cleaned_data["material"].strip()
        # Any material of the reference list; whether it is one of the round's is a line rule.
        material = rules.material_of(text, rules.material_words())
        if material is not None:
            return material
        raise forms.ValidationError(rules.MATERIAL_KNOWN.error(value=text))

    def clean_period(self):
        text = self.cleaned_data["period"].strip()
        try:
            return str(Period.parse(text))
        except PeriodError:
            raise forms.ValidationError(rules.PERIOD_FORMAT.error(value=text)) from None

    def clean_unit(self):
        # Reported with the other fields' errors, as the API and the demand file do.
        text = self.cleaned_data["unit"]
        if rules.unit_of(text) is None:
            raise forms.ValidationError(rules.UNIT_KNOWN.error(value=text))
        return text

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            k: data[k]
            for k in (
                "material",
                "period",
                "quantity",
                "unit",
                "commitment",
                "grade",
                "delivery_country",
            )
        }

    @staticmethod
    def initial_for(line) -> dict:
        return {
            "material": line.material.name,
            "period": line.period,
            "quantity": line.quantity,
            "unit": line.unit,
            "commitment": line.commitment,
            "grade": line.grade,
            "delivery_country": str(line.delivery_country),
            "version": line.version,
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Demand file (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class ExcludeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the firm sees it)"), max_length=2000)
