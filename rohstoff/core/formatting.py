"""One formatter for each kind of value a reader sees: tonnes, money, percentages, plain numbers,
dates and times, and the separators of the charts.

Pages, charts, mail, messages and exports all call these, so that one figure reads the same
everywhere. Numbers follow the reader's language (``rohstoff.core.language``): German groups
thousands with a dot and writes a decimal comma (2.381,5 t), English the other way round
(2,381.5 t). Trailing zeros are dropped, so "38.000 t" (thirty-eight thousand to a German
reader, thirty-eight to an English one) never appears: 38 t is "38 t". Units are always written,
joined to the figure by a no-break space. Rounding for display is commercial (half up); stored
values keep their own rounding (``rohstoff.core.units``). See docs/architecture.md.
"""

from __future__ import annotations

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone, translation

from .language import reader_language

NBSP = "\u00a0"
NO_VALUE = "–"  # what a missing figure reads as
TONNE_PLACES = 3  # kilograms
SMALL_TONNE_PLACES = 6  # grams, the stored precision: below 1 t, so nothing reads "0 t"
MONEY_PLACES = 2


@functools.cache
def _separators(language: str) -> tuple[str, str]:
    """(decimal mark, thousands separator) of ``language``, from Django's locale formats."""
    return (
        str(formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
        str(formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
    )


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        raise TypeError("a yes/no is not a number")
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _digits(number: Decimal, places: int, *, trim: bool, language: str) -> str:
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)  # never "-0"
    text = f"{rounded:,f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    decimal_mark, thousands = _separators(language)
    if (decimal_mark, thousands) != (".", ","):
        text = text.translate(str.maketrans({",": thousands, ".": decimal_mark}))
    return text


def format_number(value, places: int = 6, *, trim: bool = True, language: str | None = None) -> str:
    """A plain number grouped in the reader's language, at most ``places`` decimals (exactly
    ``places`` when ``trim`` is False). None reads "–"."""
    if value is None:
        return NO_VALUE
    return _digits(_decimal(value), places, trim=trim, language=language or reader_language())


def format_tonnes(value, *, places: int | None = None, language: str | None = None) -> str:
    """Tonnes as a reader reads them: "2.381,5 t" in German, "2,381.5 t" in English; at most
    three decimals (six below 1 t, or ``places``), trailing zeros dropped. None reads "–"."""
    if value is None:
        return NO_VALUE
    number = _decimal(value)
    if places is None:
        places = SMALL_TONNE_PLACES if abs(number) < 1 else TONNE_PLACES
    digits = _digits(number, places, trim=True, language=language or reader_language())
    return f"{digits}{NBSP}t"


def format_money(
    value,
    currency: str | None = None,
    per: str | None = None,
    *,
    places: int = MONEY_PLACES,
    language: str | None = None,
) -> str:
    """An amount or a price with its currency (and unit): "12.345,67 EUR/t". Cents are always
    shown. Without ``currency`` just the figure (an index value). None reads "–"."""
    if value is None:
        return NO_VALUE
    digits = _digits(_decimal(value), places, trim=False, language=language or reader_language())
    if not currency:
        return digits
    return f"{digits}{NBSP}{currency}{'/' + str(per) if per else ''}"


def format_percent(
    value, places: int = 1, *, points: bool = False, language: str | None = None
) -> str:
    """A share as a percentage: the fraction 0.0423 reads "4,2 %" ("4.2 %"); with ``points``
    the value is already in per cent (a contract's 5 % tolerance). At most ``places`` decimals,
    trailing zeros dropped. None reads "–"."""
    if value is None:
        return NO_VALUE
    number = _decimal(value) if points else _decimal(value) * 100
    digits = _digits(number, places, trim=True, language=language or reader_language())
    return f"{digits}{NBSP}%"


def _format_when(value, format_name: str, language: str | None) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if language is None:
        return formats.date_format(value, format_name)
    with translation.override(language):
        return formats.date_format(value, format_name)


def format_datetime(value, *, language: str | None = None) -> str:
    """A moment in the platform's time zone: "12.09.2026, 17:13" in German, "12 Sep 2026,
    17:13" in English (never month first). None reads "–"."""
    return _format_when(value, "SHORT_DATETIME_FORMAT", language)


def format_date(value, *, language: str | None = None) -> str:
    """A day: "12.09.2026" in German, "12 Sep 2026" in English. None reads "–"."""
    return _format_when(value, "SHORT_DATE_FORMAT", language)


def plotly_separators(language: str | None = None) -> str:
    """plotly's ``layout.separators`` for the reader: decimal mark, then thousands separator
    (",." in German). Axes and every ``hovertemplate`` number use them."""
    decimal_mark, thousands = _separators(language or reader_language())
    return f"{decimal_mark}{thousands}"


def plotly_tonnes(axis: str = "y", places: int = TONNE_PLACES) -> str:
    """A ``hovertemplate`` piece for a tonnage on ``axis``: grouped, at most ``places`` decimals,
    trailing zeros dropped (d3's ``~``), with the unit; the layout's separators localise it."""
    return f"%{{{axis}:,.{places}~f}}{NBSP}t"


class Numbers:
    """The formatters bound to one language, for code that formats many figures at once (a
    table of a few thousand cells): the language is looked up once."""

    def __init__(self, language: str | None = None):
        self.language = language or reader_language()

    def tonnes(self, value, places: int | None = None) -> str:
        return format_tonnes(value, places=places, language=self.language)

    def number(self, value, places: int = 6) -> str:
        return format_number(value, places, language=self.language)

    def money(self, value, currency=None, per=None) -> str:
        return format_money(value, currency, per, language=self.language)

    def percent(self, value, places: int = 1) -> str:
        return format_percent(value, places, language=self.language)
