"""Forms of the stockpile pages: they parse input; the services decide (docs/stockpile.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField, country_choices
from rohstoff.core.models import Material

from .models import MAX_TARGET_DAYS, Location, MovementKind

QUANTITY = {"max_digits": 16, "decimal_places": 6, "min_value": 0}


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Movement"), choices=MovementKind.choices)
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.all())
    material = forms.ModelChoiceField(label=_("Material"), queryset=Material.objects.all())
    quantity_t = LocalDecimalField(
        label=_("Quantity (t)"),
        help_text=_("Purchase: what enters. Release and rotation: what leaves."),
        **QUANTITY,
    )
    replacement_t = LocalDecimalField(
        label=_("Replacement (t)"),
        required=False,
        help_text=_("Rotation only: the fresh stock that replaces it (at least as much)."),
        **QUANTITY,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == MovementKind.ROTATION and not data.get("replacement_t"):
            self.add_error("replacement_t", _("A rotation names its replacement."))
        return data


class TargetForm(forms.Form):
    material = forms.ModelChoiceField(label=_("Material"), queryset=Material.objects.all())
    high_risk = forms.BooleanField(label=_("High-risk material"), required=False)
    target_days = forms.IntegerField(
        label=_("Own target (days)"),
        required=False,
        min_value=1,
        max_value=MAX_TARGET_DAYS,
        help_text=_("Empty: 60 days, 180 for a high-risk material."),
    )


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices, initial="DE")


class ReleaseChangeForm(forms.Form):
    quantity_t = LocalDecimalField(label=_("Quantity (t)"), **QUANTITY)
    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
