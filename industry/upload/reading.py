"""Reading a demand file (CSV or XLSX) into a frame of text cells; ``validation`` checks it."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from rohstoff.core.units import parse_decimal

from ..models import DemandRound
from . import limits, xlsx
from .validation import (
    COLUMNS,
    ParsedFile,
    _too_many_rows,
    _validate,
    capped,
    error,
    file_error,
    quoted,
)


def size_error(size: int) -> dict:
    limit = settings.DEMAND_FILE_MAX_BYTES
    return file_error(
        lambda: (
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": _size_label(size), "limit": _size_label(limit)}
        )
    )


def _size_label(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_demand_file(data: bytes, *, round: DemandRound, prefer_comma: bool = True) -> ParsedFile:
    """Parse and validate ``data``; ``prefer_comma`` reads ambiguous numbers typed as text in an
    XLSX cell (``1.500``) the German way."""
    if len(data) > settings.DEMAND_FILE_MAX_BYTES:
        return ParsedFile(errors=[size_error(len(data))])
    if not data.strip():
        return ParsedFile(errors=[file_error(lambda: _("The file is empty."))])
    if data[:4] == b"PK\x03\x04":
        frame, errors, dialect = _read_xlsx(data, prefer_comma=prefer_comma)
    else:
        frame, errors, dialect = _read_csv(data)
    if errors:
        return ParsedFile(errors=errors, dialect=dialect)
    return _validate(frame, round=round, dialect=dialect)


# ---- reading ---------------------------------------------------------------------------------


def _looks_binary(data: bytes) -> bool:
    head = data[:65536]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(3, len(head) // 200)


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _read_csv(data: bytes) -> tuple[pd.DataFrame | None, list[dict], str]:
    if _looks_binary(data):
        return (
            None,
            [file_error(lambda: _("This is not a CSV text file. Upload a CSV or an XLSX file."))],
            "",
        )
    text = _decode(data)
    if text is None:
        return (
            None,
            [
                file_error(
                    lambda: _(
                        "The file's encoding cannot be read. Save it as UTF-8 or Windows-1252 (cp1252)."
                    )
                )
            ],
            "",
        )
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")
    sep, dialect = (";", "semicolon") if ";" in first_line else (",", "comma")
    header = next(csv.reader([first_line.rstrip("\r\n")], delimiter=sep), [])
    if len(header) > limits.MAX_COLUMNS:
        return (
            None,
            [
                file_error(
                    lambda: (
                        _("The header has more than %(limit)s columns.")
                        % {"limit": limits.MAX_COLUMNS}
                    )
                )
            ],
            dialect,
        )
    most = limits.max_row_elements()
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
            nrows=most,  # never parse past the limit: more lines than this are refused
        )
    except pd.errors.EmptyDataError:
        return None, [file_error(lambda: _("The file is empty."))], dialect
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+), saw (\d+)", str(exc))
        if match:
            return (
                None,
                [
                    error(
                        int(match.group(1)),
                        None,
                        lambda: (
                            _("This row has %(n)s fields, more than the header has.")
                            % {"n": match.group(2)}
                        ),
                    )
                ],
                dialect,
            )
        detail = str(exc).strip()
        return (
            None,
            [file_error(lambda: _("The file is not valid CSV: %(detail)s") % {"detail": detail})],
            dialect,
        )
    if len(frame) >= most:
        return None, [file_error(_too_many_rows(limits.max_rows()))], dialect
    return frame, [], dialect


def _read_xlsx(data: bytes, *, prefer_comma: bool) -> tuple[pd.DataFrame | None, list[dict], str]:
    def text_number(text: str) -> str:
        try:
            return format(parse_decimal(text, prefer_comma=prefer_comma), "f")
        except ValueError:
            return text  # left as it is: the check words the error

    try:
        sheet = xlsx.read_sheet(data, text_number=text_number)
    except xlsx.Refused as refused:
        return None, [refused.error], "xlsx"
    rows = sheet.rows
    if not rows:
        return None, [file_error(lambda: _("The file is empty."))], "xlsx"
    header = rows[0]
    if not any(header):
        return (
            None,
            [
                file_error(
                    lambda: _(
                        "The first row must be the header (material, period, quantity, unit, ...)."
                    )
                )
            ],
            "xlsx",
        )
    if sheet.formula_errors:
        errors = [
            error(
                row,
                header[column] if 0 <= column < len(header) and header[column] in COLUMNS else None,
                lambda cell=cell: (
                    _(
                        "The formula in cell %(cell)s has no saved result. Open the file in Excel, "
                        "let it calculate and save it again."
                    )
                    % {"cell": quoted(cell)}
                ),
            )
            for row, column, cell in sheet.formula_errors
        ]
        return None, capped(errors, sheet.formula_error_count), "xlsx"
    width = len(header)
    body = [r if len(r) == width else (r + [""] * width)[:width] for r in rows[1:]]
    names = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
    return pd.DataFrame(body, columns=names, dtype=str), [], "xlsx"
