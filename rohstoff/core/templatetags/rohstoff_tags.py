import datetime
import json
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A JSON value as indented text (for the audit log's before/after)."""
    if value is None:
        return "–"
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.simple_tag
def plotly_map_style_id() -> str:
    """The id of the map stylesheet plotly.js would inject (templates/charts/_head.html)."""
    from rohstoff.core.staticfinders import maplibre_style_id

    return maplibre_style_id()


# Values that are never a form nor hold one: skipped without a call (a grid's 100 rows of
# plain values are most of what is walked).
_PLAIN = frozenset({str, int, float, bool, type(None), Decimal, datetime.date, datetime.datetime})


def _forms_in(context):
    """Every bound form of a page's context, in the order the view passed them: forms, the forms
    of formsets, and forms in lists and dicts up to two levels down (rows of a table)."""
    from django.forms import BaseForm
    from django.forms.formsets import BaseFormSet

    seen, found = set(), []

    def add(value, depth=0):
        # type(), not isinstance(): a lazy object (the user, the CSP nonce) is never evaluated.
        kind = type(value)
        if issubclass(kind, BaseForm):
            # Only forms the view has validated: a filter form bound to the query string and
            # never checked is not validated here (no queries, no surprise errors).
            if value.is_bound and value._errors is not None and id(value) not in seen:
                seen.add(id(value))
                found.append(value)
        elif issubclass(kind, BaseFormSet):
            if value.is_bound and value._errors is not None:
                add(value.management_form)
                for form in value.forms:
                    add(form)
                if value.non_form_errors() and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
        elif depth < 2 and issubclass(kind, list | tuple):
            for item in value[:500]:
                if type(item) not in _PLAIN:
                    add(item, depth + 1)
        elif depth < 2 and issubclass(kind, dict):
            for item in list(value.values())[:50]:
                if type(item) not in _PLAIN:
                    add(item, depth + 1)

    for value in context.flatten().values():
        add(value)
    return found


@register.inclusion_tag("forms/error_summary.html", takes_context=True)
def error_summary(context):
    """The "There is a problem" box at the top of a page (GOV.UK and KERN pattern): every error
    of every bound form on the page, each linked to its field (docs/forms.md). Marks the forms
    it lists, so the form itself shows only the messages next to its fields."""
    from django.forms.formsets import BaseFormSet

    items = []
    for form in _forms_in(context):
        if isinstance(form, BaseFormSet):
            items += [{"message": e, "href": ""} for e in form.non_form_errors()]
            continue
        if not form.errors:
            continue
        form.error_summary_shown = True
        items += [{"message": e, "href": ""} for e in form.non_field_errors()]
        for name, field in form.fields.items():
            if name not in form.errors:
                continue
            bound = form[name]
            target = (
                ""
                if field.widget.is_hidden
                else bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")
            )
            # Named by its field: "Password: This field is required." reads on its own.
            items += [
                {"label": bound.label, "message": e, "href": f"#{target}" if target else ""}
                for e in bound.errors
            ]
    return {"errors": items}
