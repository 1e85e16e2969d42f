"""Reading and validating a demand file (CSV or XLSX) as docs/demand-file.md fixes it.

Everything here is vectorised with pandas over string columns (``dtype=str``): no ORM object and
no form per row. The result is either a list of errors (``{"row", "column", "message",
"messages"}``, rows numbered as the spreadsheet shows them, the header being row 1) or a frame of
clean rows that ``industry.upload.services`` commits in bulk. Each message is worded in every
language of the platform when the error is found (``messages``) and in the active one
(``message``): an upload keeps its errors for its error page, which a reader may read in the
other language (docs/demand-file.md). ``for_reader`` gives them as a reader reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from rohstoff.core.formatting import format_number, format_tonnes
from rohstoff.core.units import TONNES_PER_UNIT, to_tonnes

from ..lines import rules
from ..lines.rules import GRADE_MAX_LENGTH, commitment_of, country_codes, country_of, too_precise
from ..models import DemandRound
from . import limits

REQUIRED_COLUMNS = ("material", "period", "quantity", "unit")
OPTIONAL_COLUMNS = ("commitment", "grade", "delivery_country")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
UNITS = tuple(TONNES_PER_UNIT)

_POINT_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
_PERIOD = r"(\d{4})(?:-?Q([1-4]))?"


@dataclass
class ParsedFile:
    """What a file held: clean rows (when there is no error) and every error found."""

    errors: list[dict] = field(default_factory=list)
    rows: pd.DataFrame | None = None
    row_count: int = 0
    dialect: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows is not None


def in_every_language(render: Callable[[], str]) -> dict[str, str]:
    """``render()`` in each language of the platform (settings.LANGUAGES), numbers included."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(render())
    return texts


def error(row: int | None, column: str | None, render: Callable[[], str]) -> dict:
    """An error of a file: ``render`` words its message in the active language."""
    texts = in_every_language(render)
    message = texts.get(translation.get_language() or "") or str(render())
    return {"row": row, "column": column, "message": message, "messages": texts}


def file_error(render: Callable[[], str], column: str | None = None) -> dict:
    """An error of the whole file (no row)."""
    return error(None, column, render)


def for_keeping(errors: list[dict]) -> list[dict]:
    """A file's errors as an upload keeps them for its error page: each message once in every
    language (``for_reader`` picks the reader's)."""
    return [
        {k: v for k, v in e.items() if k != "message"} if "messages" in e else e for e in errors
    ]


def for_reader(errors: list[dict]) -> list[dict]:
    """A file's errors as their reader reads them (the API, the error page and its CSV): row,
    column and the message in the active language, and the count of the rest on a last entry.
    An error kept in one language only (before they were kept in each) keeps its words."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    read = []
    for e in errors:
        texts = e.get("messages") or {}
        message = texts.get(code) or e.get("message") or texts.get(settings.LANGUAGE_CODE, "")
        entry = {"row": e["row"], "column": e["column"], "message": message}
        if "more" in e:
            entry["more"] = e["more"]
        read.append(entry)
    return read


def quoted(value) -> str:
    """A value of the file as an error message quotes it: cut to ``QUOTE_LENGTH`` characters."""
    text = str(value)
    if len(text) <= limits.QUOTE_LENGTH:
        return text
    return text[: limits.QUOTE_LENGTH - 1] + "…"


def capped(errors: list[dict], total: int | None = None) -> list[dict]:
    """The first ``ERRORS_LISTED`` errors and, when there were more (``total`` of them), one
    closing entry that counts the rest (``"more": n``)."""
    total = len(errors) if total is None else total
    if total <= limits.ERRORS_LISTED:
        return errors
    rest = total - limits.ERRORS_LISTED
    return [
        *errors[: limits.ERRORS_LISTED],
        {
            **file_error(
                lambda: (
                    ngettext(
                        "%(count)s more error is not listed. Correct the errors above and upload "
                        "the file again.",
                        "%(count)s more errors are not listed. Correct the errors above and upload "
                        "the file again.",
                        rest,
                    )
                    % {"count": rules.number(Decimal(rest))}
                )
            ),
            "more": rest,
        },
    ]


def error_total(errors: list[dict]) -> int:
    """How many errors a (capped) list stands for."""
    if errors and errors[-1].get("more"):
        return len(errors) - 1 + int(errors[-1]["more"])
    return len(errors)


def _too_many_rows(limit: int) -> Callable[[], str]:
    return lambda: (
        _(
            "The file has more than %(limit)s rows of demand; that is the limit. Split it into several files."
        )
        % {"limit": format_number(limit, 0)}
    )


# ---- validation ------------------------------------------------------------------------------


def _period_table() -> dict[str, tuple[str, int, bool]]:
    """Every way of writing a plausible period -> (canonical text, first quarter index, is year)."""
    table = {}
    for year in range(2000, 2101):
        table[str(year)] = (str(year), year * 4, True)
        for quarter in (1, 2, 3, 4):
            canonical = f"{year}-Q{quarter}"
            table[canonical] = table[f"{year}Q{quarter}"] = (
                canonical,
                year * 4 + quarter - 1,
                False,
            )
    return table


PERIODS = _period_table()
_POINT_RX = re.compile(_POINT_NUMBER)
_COMMA_RX = re.compile(_COMMA_NUMBER)
_ANY_PERIOD_RX = re.compile(_PERIOD)


class _Errors:
    """Errors of whole columns at once: ``add`` takes a boolean mask over the rows. Only the
    errors that can be among the first ``ERRORS_LISTED`` get a message; the rest are counted."""

    def __init__(self, rows: np.ndarray, values: dict[str, list[str]]):
        self.rows = rows  # spreadsheet row number of each frame row
        self.values = values
        self.items: list[tuple[int, int, str, Callable[[int], str], int]] = []
        self.count = 0

    def add(self, mask, column: str, message: Callable[[int], str]) -> None:
        """One error for each row in ``mask``; ``message(i)`` words the error of position ``i``
        (in each language, for the listed errors only)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        order = COLUMNS.index(column) if column in COLUMNS else len(COLUMNS)
        positions = np.flatnonzero(mask)
        self.count += len(positions)
        # Positions ascend with the rows, so no error after the first ERRORS_LISTED of this
        # mask can be among the first ERRORS_LISTED of all.
        for position in positions[: limits.ERRORS_LISTED]:
            self.items.append((int(self.rows[position]), order, column, message, int(position)))

    def as_list(self) -> list[dict]:
        first = sorted(self.items, key=lambda e: (e[0], e[1]))[: limits.ERRORS_LISTED]
        return capped(
            [
                error(row, column, lambda m=message, i=i: m(i))
                for row, _o, column, message, i in first
            ],
            self.count,
        )


def _validate(frame: pd.DataFrame, *, round: DemandRound, dialect: str) -> ParsedFile:
    header_errors = []
    normalised = [str(c).replace("\ufeff", "").strip().lower() for c in frame.columns]
    blank_named = [
        c
        for c, n in zip(frame.columns, normalised, strict=True)
        if n == "" or n.startswith("unnamed:")
    ]
    for column in blank_named:  # a trailing separator in every line makes a nameless, empty column
        if all(not str(v).strip() for v in frame[column].tolist()):
            frame = frame.drop(columns=[column])
        else:
            header_errors.append(
                file_error(lambda: _("A column with values has no name in the header row."))
            )
    normalised = [str(c).replace("\ufeff", "").strip().lower() for c in frame.columns]
    seen = set()
    for name in normalised:
        if name in seen:
            header_errors.append(
                file_error(
                    lambda name=name: (
                        _("The column %(name)s appears twice.") % {"name": quoted(name)}
                    ),
                    name if name in COLUMNS else None,
                )
            )
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in normalised]
    for name in missing:
        header_errors.append(
            file_error(
                lambda name=name: (
                    _(
                        "The column %(name)s is missing. The header row needs material, period, quantity and unit; "
                        "commitment, grade and delivery_country are optional."
                    )
                    % {"name": name}
                ),
                name,
            )
        )
    for name in normalised:
        if name not in COLUMNS:
            header_errors.append(
                file_error(
                    lambda name=name: (
                        _("Unknown column %(name)s. Allowed columns: %(columns)s.")
                        % {"name": quoted(name), "columns": ", ".join(COLUMNS)}
                    )
                )
            )
    if header_errors:
        return ParsedFile(errors=capped(header_errors), dialect=dialect)
    frame.columns = normalised

    # Plain lists of stripped strings: pandas' string accessor costs more than these loops.
    count = len(frame)
    raw = {
        name: ([v.strip() for v in frame[name].tolist()] if name in frame.columns else [""] * count)
        for name in COLUMNS
    }
    keep = np.fromiter(map(any, zip(*raw.values(), strict=True)), dtype=bool, count=count)
    rows = np.flatnonzero(keep) + 2  # blank lines (Excel leaves some at the end) are not rows
    if not keep.all():
        raw = {
            name: [v for v, k in zip(values, keep, strict=True) if k]
            for name, values in raw.items()
        }
    count = len(rows)
    if count == 0:
        return ParsedFile(
            errors=[file_error(lambda: _("The file has a header but no rows of demand."))],
            dialect=dialect,
        )
    max_rows = settings.DEMAND_FILE_MAX_ROWS
    if count > max_rows:
        return ParsedFile(errors=[file_error(_too_many_rows(max_rows))], dialect=dialect)

    errors = _Errors(rows, raw)
    empty = {name: np.array(raw[name], dtype=object) == "" for name in REQUIRED_COLUMNS}
    for name in REQUIRED_COLUMNS:
        errors.add(empty[name], name, lambda _i: _("This field is required."))

    # material: a code or name of the reference list (the line rule's words, one map per file)
    # that is in this round's scope
    words = rules.material_words()
    in_round = dict(round.materials.values_list("code", "id"))
    named = [words.get(v.lower()) for v in raw["material"]]
    code = [
        m.code if m is not None else v.lower() for m, v in zip(named, raw["material"], strict=True)
    ]
    material_id = [in_round.get(c) for c in code]
    known = np.fromiter((m is not None for m in named), dtype=bool, count=count)
    scoped = np.fromiter((m is not None for m in material_id), dtype=bool, count=count)
    errors.add(
        ~empty["material"] & ~known,
        "material",
        lambda i: rules.MATERIAL_KNOWN.error(value=quoted(raw["material"][i])),
    )
    errors.add(
        known & ~scoped,
        "material",
        lambda i: rules.MATERIAL_IN_ROUND.error(
            value=quoted(code[i]), scope=rules.material_scope(in_round)
        ),
    )

    # period: a year wholly inside the window, or a quarter inside it
    period = [PERIODS.get(v.upper().replace(" ", "")) for v in raw["period"]]
    period_ok = np.fromiter((p is not None for p in period), dtype=bool, count=count)
    first_index = np.fromiter((p[1] if p else 0 for p in period), dtype=np.int64, count=count)
    is_year = np.fromiter((p[2] if p else False for p in period), dtype=bool, count=count)
    last_index = first_index + is_year * 3
    window = {"first": str(round.first_period), "last": str(round.last_period)}
    errors.add(
        ~empty["period"] & ~period_ok,
        "period",
        lambda i: rules.PERIOD_FORMAT.error(value=quoted(raw["period"][i])),
    )
    inside = (first_index >= round.first_quarter) & (last_index <= round.last_quarter)
    overlaps = (last_index >= round.first_quarter) & (first_index <= round.last_quarter)
    errors.add(
        period_ok & ~inside & overlaps & is_year,
        "period",
        lambda i: rules.PERIOD_YEAR_PARTLY_INSIDE.error(value=period[i][0], **window),
    )
    errors.add(
        period_ok & ~overlaps,
        "period",
        lambda i: rules.PERIOD_INSIDE_WINDOW.error(value=period[i][0], **window),
    )

    # unit
    unit = [rules.unit_of(v) or v.lower() for v in raw["unit"]]
    unit_ok = np.fromiter((rules.unit_of(u) is not None for u in unit), dtype=bool, count=count)
    errors.add(
        ~empty["unit"] & ~unit_ok,
        "unit",
        lambda i: rules.UNIT_KNOWN.error(value=quoted(raw["unit"][i])),
    )

    # quantity: the dialect's notation, > 0, at most 6 decimal places, and at least the minimum
    if dialect == "semicolon":
        pattern = _COMMA_RX
        plain = [v.replace(".", "").replace(",", ".") for v in raw["quantity"]]
        hint = _lazy(
            "%(value)s is not a number as German Excel writes it (decimal comma, e.g. 1.500,5)."
        )
    else:
        pattern, plain = _POINT_RX, raw["quantity"]
        hint = _lazy(
            "%(value)s is not a number (use a decimal point and no thousands separator, e.g. 1500.5)."
        )
    quantities = [
        Decimal(p) if pattern.fullmatch(v) else None
        for v, p in zip(raw["quantity"], plain, strict=True)
    ]
    number_ok = np.fromiter((q is not None for q in quantities), dtype=bool, count=count)
    errors.add(
        ~empty["quantity"] & ~number_ok,
        "quantity",
        lambda i: str(hint) % {"value": quoted(raw["quantity"][i])},
    )
    positive = np.fromiter((q is not None and q > 0 for q in quantities), dtype=bool, count=count)
    errors.add(
        number_ok & ~positive,
        "quantity",
        lambda i: rules.QUANTITY_POSITIVE.error(value=quoted(rules.number(quantities[i]))),
    )
    precise_not = positive & np.fromiter(
        (q is not None and too_precise(q) for q in quantities), dtype=bool, count=count
    )
    errors.add(
        precise_not,
        "quantity",
        lambda i: rules.QUANTITY_PRECISION.error(value=quoted(rules.number(quantities[i]))),
    )
    convertible = positive & ~precise_not & unit_ok
    tonnes = [
        to_tonnes(q, u) if ok else None
        for q, u, ok in zip(quantities, unit, convertible, strict=True)
    ]
    minimum = round.min_quantity_t
    if minimum > 0:
        errors.add(
            np.fromiter((t is not None and t < minimum for t in tonnes), dtype=bool, count=count),
            "quantity",
            lambda i: rules.QUANTITY_MINIMUM.error(
                value=quoted(rules.number(quantities[i])), unit=unit[i], min=format_tonnes(minimum)
            ),
        )

    # commitment, grade, delivery country
    commitment = [commitment_of(v) for v in raw["commitment"]]
    errors.add(
        np.fromiter((c is None for c in commitment), dtype=bool, count=count),
        "commitment",
        lambda i: rules.COMMITMENT_KNOWN.error(value=quoted(raw["commitment"][i])),
    )
    errors.add(
        np.fromiter((len(g) > GRADE_MAX_LENGTH for g in raw["grade"]), dtype=bool, count=count),
        "grade",
        lambda _i: rules.GRADE_LENGTH.error(),
    )
    country = [country_of(v) for v in raw["delivery_country"]]
    known_countries = country_codes()
    errors.add(
        np.fromiter((c not in known_countries for c in country), dtype=bool, count=count),
        "delivery_country",
        lambda i: rules.DELIVERY_COUNTRY_KNOWN.error(value=quoted(raw["delivery_country"][i])),
    )

    # the same key twice in one file
    canonical_period = [p[0] if p else v for p, v in zip(period, raw["period"], strict=True)]
    keys = pd.DataFrame(
        {"m": code, "g": raw["grade"], "p": canonical_period, "c": country}, dtype=object
    )
    duplicated = keys.duplicated(keep="first").to_numpy()
    if duplicated.any():
        key_list = list(zip(code, raw["grade"], canonical_period, country, strict=True))
        first_of: dict[tuple, int] = {}
        for position, key in enumerate(key_list):
            first_of.setdefault(key, position)
        errors.add(
            duplicated,
            "material",
            lambda i: (
                _(
                    "This row repeats row %(row)s (same material, grade, period and delivery country)."
                )
                % {"row": int(rows[first_of[key_list[i]]])}
            ),
        )

    if errors.items:
        return ParsedFile(errors=errors.as_list(), row_count=count, dialect=dialect)
    clean = pd.DataFrame(
        {
            "row": rows,
            "material_id": np.asarray(material_id, dtype=np.int64),
            "material": code,
            "grade": raw["grade"],
            "period": canonical_period,
            "first_quarter": first_index,
            "is_year": is_year,
            "quantity": pd.Series(quantities, dtype=object),
            "unit": unit,
            "quantity_t": pd.Series(tonnes, dtype=object),
            "commitment": commitment,
            "delivery_country": country,
        }
    )
    return ParsedFile(rows=clean, row_count=count, dialect=dialect)
