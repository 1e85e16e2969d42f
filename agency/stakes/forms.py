"""Forms of stake proposals: parse and check single fields; the rules live in the services
(agency/stakes/rules.py), whose messages the form shows next to the field they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField
from rohstoff.core.models import CrmaStatus, Material
from rohstoff.core.money import Currency

from ..models import DocumentStatus, Instrument, Project
from ..projects.models import FIRST_YEAR, LAST_YEAR
from . import rules
from .rules import Shareholder


class ProposalForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())
    instrument = forms.ChoiceField(label=_("Instrument"), choices=Instrument.choices)
    amount = LocalDecimalField(
        label=_("Amount"), max_digits=20, decimal_places=4, min_value=Decimal("0.0001")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="EUR")
    equity_share_pct = LocalDecimalField(
        label=_("Equity share bought (%)"),
        max_digits=7,
        decimal_places=4,
        required=False,
        help_text=_(
            "Equity only: the agency's part of the equity raised in this deal. At most 50 %; up "
            "to 75 % with a written special-necessity justification."
        ),
    )
    special_necessity = forms.CharField(
        label=_("Special-necessity justification"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for an equity share above 50 %; approvers see it flagged."),
    )
    offtake_material = forms.ModelChoiceField(
        label=_("Offtake material"),
        queryset=Material.objects.filter(crma__in=CrmaStatus.values),
        required=False,
        help_text=_("Only materials on the CRMA lists that the project produces."),
    )
    offtake_t_per_year = LocalDecimalField(
        label=_("Offtake right (t/yr)"), max_digits=22, decimal_places=6, required=False
    )
    offtake_first_year = forms.IntegerField(
        label=_("First year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False
    )
    offtake_last_year = forms.IntegerField(
        label=_("Last year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False
    )
    offtake_shortfall_reason = forms.CharField(
        label=_("Reason for a right below pro rata (or none)"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The right must be at least the funding share of capex × the project's capacity of "
            "the material, unless you give the reason here."
        ),
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, projects, fixed_project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        if fixed_project is not None:
            self.fields["project"].disabled = True
            self.initial["project"] = fixed_project.pk

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class CapTableRowForm(forms.Form):
    shareholder = forms.CharField(label=_("Shareholder"), max_length=200, required=False)
    share_pct = LocalDecimalField(
        label=_("Share (%)"), max_digits=7, decimal_places=4, required=False
    )
    is_agency = forms.BooleanField(label=_("the agency"), required=False)


class BaseCapTableFormSet(forms.BaseFormSet):
    def shareholders(self) -> list[Shareholder]:
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            name = (data.get("shareholder") or "").strip()
            if not name and data.get("share_pct") is None:
                continue  # an empty row
            rows.append(
                Shareholder(name, data.get("share_pct") or Decimal(0), bool(data.get("is_agency")))
            )
        return rows


CapTableFormSet = forms.formset_factory(
    CapTableRowForm,
    formset=BaseCapTableFormSet,
    extra=4,
    max_num=rules.MAX_CAP_TABLE_ROWS,
    validate_max=True,
    absolute_max=rules.MAX_CAP_TABLE_ROWS,
)


class _LabelledForm(forms.Form):
    """A one-field form of the proposal page's actions: the page gives the field its label (and
    whether it is required); ``auto_id`` keeps the ids of several such forms apart."""

    def __init__(self, *args, label=None, required=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = next(iter(self.fields.values()))
        if label is not None:
            field.label = label
        if required is not None:
            field.required = required


class NoteForm(_LabelledForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(_LabelledForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xlsx,.docx"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.CONTRACT_DOCUMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("PDF, XLSX or DOCX, up to %(limit)s MB.") % {
            "limit": limit
        }


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(DocumentStatus.ACCEPTED, _("accept")), (DocumentStatus.RECEIVED, _("reopen"))]
    )
    note = forms.CharField(required=False, max_length=10000)
