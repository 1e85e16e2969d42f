import json

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
