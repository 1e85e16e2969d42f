"""Forms of allocation of a contract's volume to the member firms: parse and check single fields;
the rules live in the services."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField


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


class ReopenForm(ReleaseForm):
    """Reopen a confirmed share: why (the firm sees it) and by when the firm answers again."""

    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=_("The firm sees it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["respond_by"].label = _("The firm answers again by")


class AnswerForm(forms.Form):
    """A member's answers to its firm's shares of one contract, one choice per open quarter:
    confirm, decline, or leave it for later. Fields ``answer_<share id>``; :meth:`answers`
    gives the chosen ones to the service."""

    CHOICES = [("confirm", _("Confirm")), ("decline", _("Decline")), ("", _("Later"))]

    def __init__(self, *args, shares, **kwargs):
        super().__init__(*args, **kwargs)
        self.shares = {}
        for share in shares:
            name = f"answer_{share.pk}"
            self.shares[name] = share
            self.fields[name] = forms.ChoiceField(
                label=_("Your answer for %(period)s") % {"period": share.period},
                choices=self.CHOICES,
                required=False,
                initial="",
                widget=forms.RadioSelect,
            )

    def clean(self):
        data = super().clean()
        if self.shares and not any(data.get(name) for name in self.shares):
            first = next(iter(self.shares))
            self.add_error(
                first,
                _(
                    "Choose confirm or decline for at least one quarter, or confirm all "
                    "quarters at once."
                ),
            )
        return data

    def answers(self) -> dict:
        """share -> True (confirm) or False (decline), for the quarters answered now."""
        return {
            share: self.cleaned_data[name] == "confirm"
            for name, share in self.shares.items()
            if self.cleaned_data.get(name)
        }
