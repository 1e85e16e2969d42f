from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .language import uses_decimal_comma
from .models import ROLES_BY_KIND, AccessibilityFeedback, Organisation, Role
from .periods import PeriodError, Quarter
from .policy import manages_every_organisation
from .units import parse_decimal


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def country_choices() -> list[tuple[str, str]]:
    """The world's countries named in the reader's language, for a form field's ``choices``: given
    ``countries`` itself, Django lists it once, when the form class is defined, in that moment's
    language (an English page then named the countries in German)."""
    return list(countries)


class FormRenderer(TemplatesSetting):
    """Every form renders with our field markup (label, input, help and error tied together)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class LongSelect(forms.Select):
    """A select of many plain options (the world's countries) written in Python: Django renders a
    template for each option, 7.5 ms for 250 countries on every page with the form (the member's
    grid; docs/benchmarks.md). The same HTML as ``forms.Select`` (tested); grouped choices go
    to ``forms.Select``."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if self.allow_multiple_selected or any(
            isinstance(label, list | tuple) for _value, label in choices
        ):
            return super().render(name, value, attrs, renderer)
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(str(option))}"'
            f"{' selected' if str(option) in chosen else ''}>{escape(str(label))}</option>"
            for option, label in choices
        )
        # The attributes in Django's order and way (django/forms/widgets/attrs.html).
        given = "".join(
            f" {key}" if value is True else f' {key}="{escape(str(value))}"'
            for key, value in self.build_attrs(self.attrs, attrs).items()
            if value is not False
        )
        return mark_safe(  # noqa: S308 - every name, value and label escaped here
            f'<select name="{escape(name)}"{given}>{options}</select>'
        )


class LocalDecimalField(forms.DecimalField):
    """A number as people type it in the reader's language: 1.500,5 or 1500,5 in German,
    1,500.5 or 1500.5 in English (``parse_decimal``; "1.500" is fifteen hundred to a German
    reader and one and a half to an English one). ``max_digits``, ``decimal_places`` and the
    bounds of Django's DecimalField apply. A value is shown back as the reader writes it,
    without grouping: 0,001 in German, 0.001 in English."""

    default_error_messages = {"invalid": _("Enter a number, e.g. 1,500.5 or 1500.5.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(str(value), prefer_comma=uses_decimal_comma())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            text = format(Decimal(value), "f")
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text.replace(".", ",") if uses_decimal_comma() else text
        return value


class QuarterField(forms.CharField):
    """A delivery quarter written ``2027-Q3`` (``2027Q3`` and lower case too), read as a
    :class:`~rohstoff.core.periods.Quarter` (its ``index`` is what models store)."""

    default_error_messages = {"invalid": _("Write a quarter such as 2027-Q1.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", _("e.g. 2027-Q1"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"maxlength": "7", "placeholder": "2027-Q1"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return Quarter.parse(value)
        except PeriodError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        """A stored quarter index (an int) or a Quarter shows as 2027-Q3."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(Quarter.from_index(value))
        if isinstance(value, Quarter):
            return str(value)
        return value


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if manages_every_organisation(actor):
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
