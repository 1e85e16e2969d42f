from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from .models import ROLES_BY_KIND, AccessibilityFeedback, Organisation, Role


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class FormRenderer(TemplatesSetting):
    """Every form renders with our field markup (label, input, help and error tied together)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.is_staff:
            self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True)
            self.fields["role"].help_text = _(
                "The role must fit the organisation: member firms have members and member "
                "administrators, the agency analysts and approvers, the trading house its desk, "
                "the ministry viewers."
            )
        else:
            # A member administrator invites colleagues into its own firm only.
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk=actor.organisation_id
            )
            self.fields["organisation"].initial = actor.organisation_id
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["role"].choices = [(r, Role(r).label) for r in ROLES_BY_KIND["member"]]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=100,
        help_text=_("Where you use it, e.g. “ERP interface SAP”."),
    )


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = AccessibilityFeedback
        fields = ["message", "contact", "page_url"]
        widgets = {"page_url": forms.TextInput()}
        labels = {"page_url": _("On which page? (optional)")}
