"""The export-stop scenario's inputs as the pages read them (the API has its own serializer);
the selectors check them against the round (docs/scenarios.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import QuarterField, country_choices

from .models import MAX_COUNTRIES


class ScenarioForm(forms.Form):
    round = forms.TypedChoiceField(label=_("Positions of round"), coerce=int)
    countries = forms.MultipleChoiceField(
        label=_("Countries that stop exporting"),
        choices=country_choices,
        help_text=_("One or more (at most 20); Ctrl or Cmd to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    first_quarter = QuarterField(label=_("From quarter"))

    def __init__(self, *args, rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [(r.pk, r.title) for r in rounds]

    def clean_countries(self):
        codes = self.cleaned_data["countries"]
        if len(codes) > MAX_COUNTRIES:
            raise forms.ValidationError(_("Choose at most 20 countries."))
        return codes


class SaveForm(ScenarioForm):
    name = forms.CharField(label=_("Name of the scenario"), max_length=120)


class CompareForm(forms.Form):
    a = forms.TypedChoiceField(label=_("Scenario A"), coerce=int)
    b = forms.TypedChoiceField(label=_("Scenario B"), coerce=int)

    def __init__(self, *args, saved=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.pk, s.name) for s in saved]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices
