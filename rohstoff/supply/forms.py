from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradinghouse import selectors as position_selectors


class BriefingForm(forms.Form):
    round = forms.ModelChoiceField(
        label=_("Round"), queryset=None, empty_label=None, to_field_name="pk"
    )
    as_of = forms.DateField(
        label=_("As of"),
        help_text=_("The date the briefing describes: its quarter starts the supply window."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        rounds = [r.pk for r, ps in position_selectors.rounds_with_positions(user) if ps]
        self.fields["round"].queryset = (
            position_selectors.rounds_visible_to(user)
            .filter(pk__in=rounds)
            .order_by("-closes_at", "-pk")
        )
        self.fields["as_of"].initial = timezone.localdate()
