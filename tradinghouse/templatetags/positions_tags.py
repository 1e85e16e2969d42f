"""Template filters of the position pages: tonnes and shares in the reader's locale."""

from decimal import ROUND_HALF_EVEN, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def tonnes(value) -> str:
    """Tonnes with three decimals (kilogram precision), grouped in the reader's locale; the
    exports and the API carry all six."""
    if value is None or value == "":
        return ""
    value = Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    return number_format(value, decimal_pos=3, use_l10n=True, force_grouping=True)


@register.filter
def percent(value, places=1) -> str:
    """A fraction (0.0423) as a percentage ("4,2 %" / "4.2 %")."""
    if value is None or value == "":
        return ""
    places = int(places)
    value = (Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)}\u00a0%"
