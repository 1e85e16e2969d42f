"""Template filters of the demand pages."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity with as many decimals as it has (at most 6), grouped in the reader's locale."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    places = max(0, min(6, -value.normalize().as_tuple().exponent))
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
