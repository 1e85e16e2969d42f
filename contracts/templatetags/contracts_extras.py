"""Template filters of the contract pages."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def tonnes(value):
    """Tonnes as people read them: no trailing zeros (7.5, not 7.500000), grouped thousands, in
    the reader's language (1,500.5 / 1.500,5)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        return value
    number = (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )
    return formats.number_format(number, use_l10n=True, force_grouping=True)
