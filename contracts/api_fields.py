"""Serializer fields shared by the contracts API modules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rohstoff.core.periods import PeriodError, Quarter

T = {"max_digits": 22, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 4}
# Money computed from a quantity and a price (22 and 20 digits, a price per kg x 1000 per t) or
# converted across currencies: more digits than any stored price, so declared wider.
AMOUNT = {"max_digits": 40, "decimal_places": 4}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-Q[1-4]$", "example": "2027-Q1"})
class QuarterField(serializers.Field):
    """A quarter as ``2027-Q3``."""

    default_error_messages = {"invalid": gettext_lazy("Write a quarter such as 2027-Q1.")}

    def to_representation(self, value):
        return str(Quarter.from_index(value))

    def to_internal_value(self, data):
        try:
            return Quarter.parse(str(data)).index
        except PeriodError:
            self.fail("invalid")
