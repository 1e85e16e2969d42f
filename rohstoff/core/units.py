"""Quantities and their units. Decimal arithmetic only: a float never touches a quantity."""

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

KG_PER_LB = Decimal("0.45359237")
TONNE_PLACES = Decimal("0.000001")  # positions and converted lines: tonnes at 6 decimal places


class Unit(models.TextChoices):
    TONNE = "t", _("t")
    KILOGRAM = "kg", _("kg")
    POUND = "lb", _("lb")


TONNES_PER_UNIT: dict[str, Decimal] = {
    Unit.TONNE: Decimal(1),
    Unit.KILOGRAM: Decimal("0.001"),
    Unit.POUND: KG_PER_LB / 1000,
}


def quantize_tonnes(value: Decimal) -> Decimal:
    return value.quantize(TONNE_PLACES, rounding=ROUND_HALF_EVEN)


def to_tonnes(quantity: Decimal, unit: str) -> Decimal:
    """``quantity`` in ``unit`` as tonnes at 6 decimal places, rounded half to even."""
    if not isinstance(quantity, Decimal):
        raise TypeError("quantities are Decimal, never float")
    try:
        factor = TONNES_PER_UNIT[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}") from None
    return quantize_tonnes(quantity * factor)


def from_tonnes(tonnes: Decimal, unit: str) -> Decimal:
    """Tonnes expressed in ``unit`` (no rounding beyond Decimal's context)."""
    return tonnes / TONNES_PER_UNIT[unit]


def _grouped(text: str, sep: str) -> bool:
    """True when ``text`` is digits grouped by threes with ``sep`` (1.500 or 12,000,000)."""
    return re.fullmatch(r"[+-]?\d{1,3}(?:" + re.escape(sep) + r"\d{3})+", text) is not None


def parse_decimal(
    text: str, *, decimal_comma: bool | None = None, prefer_comma: bool = True
) -> Decimal:
    """A number as a person types it, in German or English notation.

    ``decimal_comma`` True reads ``1.500,5`` as 1500.5; False reads ``1,500.5`` the same way.
    None decides from the text: with both marks the later one is the decimal mark; with one mark
    that groups digits by threes (``1.500``, ``1,500``) the reader's language decides
    (``prefer_comma``: German); otherwise the one mark is the decimal mark. Raises ValueError for
    anything that is not a finite number.
    """
    s = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not s:
        raise ValueError("empty")
    if decimal_comma is None:
        if "," in s and "." in s:
            decimal_comma = s.rfind(",") > s.rfind(".")
        elif "," in s:
            decimal_comma = not (s.count(",") > 1 or (_grouped(s, ",") and not prefer_comma))
        elif "." in s:
            decimal_comma = s.count(".") > 1 or (_grouped(s, ".") and prefer_comma)
        else:
            decimal_comma = False
    if decimal_comma:
        integer = s.split(",")[0]
        if "." in integer and not _grouped(integer, "."):
            raise ValueError(f"not a number: {text!r}")
        s = s.replace(".", "").replace(",", ".", 1)
    else:
        integer = s.split(".")[0]
        if "," in integer and not _grouped(integer, ","):
            raise ValueError(f"not a number: {text!r}")
        s = s.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", s):
        raise ValueError(f"not a number: {text!r}")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return value
