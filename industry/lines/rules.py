"""The rules of one demand line, each stated once with its message (docs/demand-file.md).

Three paths check a line: the grid's form, the API and the demand file. The form and the API hand
their values to ``industry.lines.services.check_line_values``; the file applies the same rules to
whole columns at once (``industry.upload.validation``). Both take the constants and the message
from the rule objects here, so a line gets the same verdict and the same words on every path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from rohstoff.core.formatting import format_number
from rohstoff.core.models import Material
from rohstoff.core.units import TONNES_PER_UNIT

from ..models import Commitment

GRADE_MAX_LENGTH = 200
MAX_INTEGER_DIGITS = 14  # quantity is numeric(20, 6)
MAX_DECIMAL_PLACES = 6
DEFAULT_COUNTRY = "DE"

# Commitment as people write it: the English values, the German words, empty for the default.
COMMITMENT_WORDS = {
    "": Commitment.INDICATIVE,
    "indicative": Commitment.INDICATIVE,
    "firm": Commitment.FIRM,
    "indikativ": Commitment.INDICATIVE,
    "verbindlich": Commitment.FIRM,
}


@dataclass(frozen=True)
class LineRule:
    """One rule of a demand line: the field it concerns and the message of a line that breaks it.
    The message is translated when ``error`` is called, in the active language."""

    column: str
    message: Promise

    def error(self, **params) -> str:
        return str(self.message) % params


MATERIAL_KNOWN = LineRule("material", _("Unknown material %(value)s."))
MATERIAL_IN_ROUND = LineRule(
    "material", _("%(value)s is not one of this round's materials (%(scope)s).")
)
PERIOD_FORMAT = LineRule(
    "period", _("%(value)s is not a period; write a year (2027) or a quarter (2027-Q3).")
)
PERIOD_YEAR_PARTLY_INSIDE = LineRule(
    "period",
    _(
        "The year %(value)s lies only partly inside the round's window (%(first)s to %(last)s); "
        "enter the quarters inside it instead."
    ),
)
PERIOD_INSIDE_WINDOW = LineRule(
    "period", _("%(value)s is outside the round's window (%(first)s to %(last)s).")
)
UNIT_KNOWN = LineRule("unit", _("Unknown unit %(value)s; use t, kg or lb."))
QUANTITY_POSITIVE = LineRule(
    "quantity", _("The quantity must be greater than zero (it is %(value)s).")
)
QUANTITY_PRECISION = LineRule(
    "quantity",
    _("%(value)s has more than 6 decimal places or more than 14 digits before the decimal point."),
)
QUANTITY_MINIMUM = LineRule(
    "quantity", _("%(value)s %(unit)s is below the round's minimum of %(min)s per line.")
)
COMMITMENT_KNOWN = LineRule(
    "commitment",
    _("Unknown commitment %(value)s; use indicative or firm (indikativ or verbindlich)."),
)
GRADE_LENGTH = LineRule("grade", _("The grade may have at most 200 characters."))
DELIVERY_COUNTRY_KNOWN = LineRule(
    "delivery_country", _("%(value)s is not an ISO 3166 country code (two letters, e.g. DE).")
)


# ---- predicates and helpers that both paths use ----------------------------------------------


def too_precise(quantity: Decimal) -> bool:
    """More than 6 decimal places or 14 integer digits (numeric(20, 6)). Trailing zeros are no
    decimal places: 40.0000000 is 40."""
    normal = quantity.normalize()
    exponent = normal.as_tuple().exponent
    return (isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES) or (
        normal != 0 and normal.adjusted() >= MAX_INTEGER_DIGITS
    )


def unit_of(text: str) -> str | None:
    """The unit a text means (t, kg, lb in any case), or None."""
    unit = str(text or "").strip().lower()
    return unit if unit in TONNES_PER_UNIT else None


def commitment_of(text: str) -> str | None:
    """The commitment a word means, or None."""
    return COMMITMENT_WORDS.get(str(text).strip().lower())


def country_of(text: str) -> str:
    return str(text or "").strip().upper() or DEFAULT_COUNTRY


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def material_words() -> dict[str, Material]:
    """Every way a line may name a material of the reference list, lower-cased: its code, its
    German name, its English name and the picker's "name (code)". One query; where two materials
    share a word, the one earlier in the list wins."""
    words: dict[str, Material] = {}
    for material in Material.objects.order_by("sort_order", "code"):
        for word in (
            material.code,
            material.name_de,
            material.name_en,
            f"{material.name} ({material.code})",
        ):
            words.setdefault(word.strip().lower(), material)
    return words


def material_of(text: str, words: dict[str, Material]) -> Material | None:
    """The material a text names (case and surrounding spaces ignored), or None."""
    return words.get(str(text or "").strip().lower())


def material_scope(codes) -> str:
    return ", ".join(sorted(codes))


def number(value: Decimal) -> str:
    """A quantity as typed, in a message: in the reader's notation (1.500,5 / 1,500.5) and with
    every decimal it was typed with, so that a message about too many decimals shows them."""
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    with localcontext() as context:  # a typed number may have more digits than 28
        context.prec = max(context.prec, value.adjusted() + places + 2)
        return format_number(value, places)
