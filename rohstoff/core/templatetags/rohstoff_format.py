"""Template filters for figures, one per kind of value (``rohstoff.core.formatting``):

    {% load rohstoff_format %}
    {{ line.quantity_t|tonnes }}            2.381,5 t
    {{ price|money:contract.currency }}     12.345,67 EUR
    {{ price|price:contract }}              12.345,67 EUR/t  (the contract's currency and unit)
    {{ cell.coverage|percent }}             95,3 %   (a fraction)
    {{ contract.tolerance_pct|pct }}        5 %      (a value already in per cent)
    {{ rate|number:6 }}                     1,0823
    {{ round.closes_at|when }}              12.09.2026, 17:13
    {{ contract.signed_on|day }}            12.09.2026

A value that is not a number renders empty rather than breaking the page.
"""

from django import template

from rohstoff.core import formatting

register = template.Library()


def _safe(function, value, *args, **kwargs) -> str:
    if value == "":
        return formatting.NO_VALUE
    try:
        return function(value, *args, **kwargs)
    except (TypeError, ValueError, AttributeError):
        return ""


@register.filter
def tonnes(value, places=None) -> str:
    return _safe(formatting.format_tonnes, value, places=None if places is None else int(places))


@register.filter
def money(value, currency=None) -> str:
    return _safe(formatting.format_money, value, currency)


@register.filter
def price(value, contract) -> str:
    """A price in ``contract``'s currency per its price unit (``currency``, ``price_unit``)."""
    return _safe(
        formatting.format_money,
        value,
        getattr(contract, "currency", None),
        getattr(contract, "price_unit", None),
    )


@register.filter
def percent(value, places=1) -> str:
    return _safe(formatting.format_percent, value, int(places))


@register.filter
def pct(value, places=2) -> str:
    return _safe(formatting.format_percent, value, int(places), points=True)


@register.filter
def number(value, places=6) -> str:
    return _safe(formatting.format_number, value, int(places))


@register.filter
def when(value) -> str:
    return _safe(formatting.format_datetime, value)


@register.filter
def day(value) -> str:
    return _safe(formatting.format_date, value)
