"""Currencies the platform keeps amounts and prices in. FX rates to EUR are entered by the desk
(contracts' FX rates); every app that stores money takes its currency choices from here."""

from django.db import models


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    CNY = "CNY", "CNY"
    AUD = "AUD", "AUD"
    CAD = "CAD", "CAD"
    GBP = "GBP", "GBP"
    JPY = "JPY", "JPY"
    CHF = "CHF", "CHF"
