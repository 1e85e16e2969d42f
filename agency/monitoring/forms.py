"""Form of a monitoring report: parse and check single fields; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField, QuarterField

from .models import CovenantStatus, Rating
from .services import TEXT_MAX


class MonitoringReportForm(forms.Form):
    quarter = QuarterField(label=_("Quarter"))
    production_t = LocalDecimalField(
        label=_("Production (t)"),
        required=False,
        max_digits=22,
        decimal_places=6,
        min_value=0,
        help_text=_("Tonnes of the offtake material's form produced in the quarter."),
    )
    milestones = forms.CharField(
        label=_("Milestones"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    covenant_status = forms.ChoiceField(label=_("Covenant status"), choices=CovenantStatus.choices)
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    rating_reason = forms.CharField(
        label=_("Reason for the rating"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
