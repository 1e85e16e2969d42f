"""Serializer fields for numbers in the JSON API: one notation, whatever the reader's language.

Pages and the demand file read numbers as people type them (German ``1.500,5`` included). The API
is read by programs, so it takes exactly one notation: a JSON number, or a string written the
same way, with a point as the decimal mark and no thousands separator. Anything else is a 400
that names the field, never a silently different number (``"1.500,5"`` is not 1.5005).
See docs/security.md.
"""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# A sign, digits and at most one decimal point; no exponent, no separators, no spaces inside.
PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


class StrictDecimalField(serializers.DecimalField):
    """DRF's DecimalField (``max_digits``, ``decimal_places``, ``min_value`` ... work as there)
    that takes a JSON number or a plain decimal string, and refuses ``"1.500,5"``, ``"1,5"``,
    ``"1e3"``, ``"NaN"``, ``"Infinity"``, booleans, lists and objects.

    JSON numbers arrive as ``int`` or ``Decimal`` (``rohstoff.core.api_parsers`` reads them
    without a float); a number with an exponent (``1e3``) is a JSON number and is taken.
    """

    default_error_messages = {
        "invalid": _(
            "Enter a number with a point as the decimal mark and no thousands separator, "
            "e.g. 1500.5."
        ),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | Decimal):
            value = Decimal(data)
        elif isinstance(data, float):  # only from a parser other than ours
            value = Decimal(repr(data))
        elif isinstance(data, str):
            text = data.strip()
            if len(text) > self.MAX_STRING_LENGTH:
                self.fail("max_string_length")
            if not PLAIN_DECIMAL.fullmatch(text):
                self.fail("invalid")
            value = Decimal(text)
        else:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        return self.quantize(self.validate_precision(value))


class QuantityField(StrictDecimalField):
    """A quantity as entered (``1500.5``, ``"1500.5"``), kept exactly as sent: digits and range
    are the service's to check, so that pages, files and the API give the same messages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        kwargs.setdefault("decimal_places", None)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format(value, "f")
