import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A JSON value as indented text (for the audit log's before/after)."""
    if value is None:
        return "–"
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
