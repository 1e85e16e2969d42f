"""Template filters of the demand pages."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def qty(value, max_places=6) -> str:
    """A quantity with as many decimals as it has (at most ``max_places``), grouped in the
    reader's locale: 1.500,5 in German, 1,500.5 in English."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    max_places = int(max_places)
    if -value.as_tuple().exponent > max_places:
        value = value.quantize(Decimal(1).scaleb(-max_places))
    places = max(0, min(max_places, -value.normalize().as_tuple().exponent))
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
