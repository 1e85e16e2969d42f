"""Currencies the platform keeps amounts and prices in. FX rates to EUR are entered by the desk
(contracts' FX rates); every app that stores money takes its currency choices from here."""

import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import models

CENT = Decimal("0.01")


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    CNY = "CNY", "CNY"
    AUD = "AUD", "AUD"
    CAD = "CAD", "CAD"
    GBP = "GBP", "GBP"
    JPY = "JPY", "JPY"
    CHF = "CHF", "CHF"


# FX to EUR. The rates are kept by the trading desk's app (contracts), which registers its lookup
# here in its ready(); apps below it (the agency) convert through this module without importing
# contracts (docs/architecture.md, "hooks").
_fx_source = None


def register_fx_source(lookup) -> None:
    """``lookup(currency, day)`` returns ``(rate_date, units_per_eur)`` of the latest rate on or
    before ``day``, or None when none is recorded."""
    global _fx_source
    _fx_source = lookup


def fx_rate(currency: str, day: datetime.date) -> tuple[datetime.date, Decimal] | None:
    """The latest FX rate of ``currency`` on or before ``day`` (EUR itself: 1 on ``day``)."""
    if currency == Currency.EUR:
        return day, Decimal(1)
    if _fx_source is None:
        return None
    return _fx_source(currency, day)


def to_eur(amount: Decimal, per_eur: Decimal) -> Decimal:
    """``amount`` in a currency quoted at ``per_eur`` units per euro, in EUR to the cent."""
    return (amount / per_eur).quantize(CENT, rounding=ROUND_HALF_EVEN)
