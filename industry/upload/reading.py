"""Reading a demand file (CSV or XLSX) into a frame of text cells; ``validation`` checks it."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from rohstoff.core.units import parse_decimal

from ..models import DemandRound
from .validation import COLUMNS, ParsedFile, _too_many_rows, _validate, file_error


def size_error(size: int) -> dict:
    limit = settings.DEMAND_FILE_MAX_BYTES
    return file_error(
        _("The file is %(size)s; the limit is %(limit)s.")
        % {"size": _size_label(size), "limit": _size_label(limit)}
    )


def _size_label(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_demand_file(data: bytes, *, round: DemandRound, prefer_comma: bool = True) -> ParsedFile:
    """Parse and validate ``data``; ``prefer_comma`` reads ambiguous numbers typed as text in an
    XLSX cell (``1.500``) the German way."""
    if len(data) > settings.DEMAND_FILE_MAX_BYTES:
        return ParsedFile(errors=[size_error(len(data))])
    if not data.strip():
        return ParsedFile(errors=[file_error(_("The file is empty."))])
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
            [file_error(_("This is not a CSV text file. Upload a CSV or an XLSX file."))],
            "",
        )
    text = _decode(data)
    if text is None:
        return (
            None,
            [
                file_error(
                    _(
                        "The file's encoding cannot be read. Save it as UTF-8 or Windows-1252 (cp1252)."
                    )
                )
            ],
            "",
        )
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    sep, dialect = (";", "semicolon") if ";" in first_line else (",", "comma")
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
        )
    except pd.errors.EmptyDataError:
        return None, [file_error(_("The file is empty."))], dialect
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+), saw (\d+)", str(exc))
        if match:
            return (
                None,
                [
                    {
                        "row": int(match.group(1)),
                        "column": None,
                        "message": _("This row has %(n)s fields, more than the header has.")
                        % {"n": match.group(2)},
                    }
                ],
                dialect,
            )
        return (
            None,
            [file_error(_("The file is not valid CSV: %(detail)s") % {"detail": str(exc).strip()})],
            dialect,
        )
    return frame, [], dialect


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, *, prefer_comma: bool) -> tuple[pd.DataFrame | None, list[dict], str]:
    import openpyxl

    try:
        values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formula_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        return (
            None,
            [file_error(_("This is not a readable XLSX file. Upload a CSV or an XLSX file."))],
            "xlsx",
        )
    try:
        if not values_book.worksheets:
            return None, [file_error(_("The file is empty."))], "xlsx"
        values_sheet, formula_sheet = values_book.worksheets[0], formula_book.worksheets[0]
        max_rows = settings.DEMAND_FILE_MAX_ROWS
        declared = values_sheet.max_row or 0
        if declared > max_rows + 1:
            return None, [_too_many_rows(max_rows)], "xlsx"
        rows: list[list[str]] = []
        errors: list[dict] = []
        header: list[str] | None = None
        quantity_col = None
        for number, (value_row, formula_row) in enumerate(
            zip(values_sheet.iter_rows(), formula_sheet.iter_rows(), strict=False), start=1
        ):
            texts = []
            for position, (cell, formula_cell) in enumerate(
                zip(value_row, formula_row, strict=False)
            ):
                value = cell.value
                if getattr(formula_cell, "data_type", None) == "f" and value is None:
                    column = header[position] if header and position < len(header) else None
                    errors.append(
                        {
                            "row": number,
                            "column": column if column in COLUMNS else None,
                            "message": _(
                                "The formula in cell %(cell)s has no saved result. Open the file in Excel, "
                                "let it calculate and save it again."
                            )
                            % {"cell": getattr(formula_cell, "coordinate", f"{number}")},
                        }
                    )
                text = _cell_text(value)
                if (
                    header is not None
                    and position == quantity_col
                    and isinstance(value, str)
                    and text
                ):
                    with contextlib.suppress(
                        ValueError
                    ):  # left as it is: the check words the error
                        text = format(parse_decimal(text, prefer_comma=prefer_comma), "f")
                texts.append(text)
            if header is None:
                if not any(texts):
                    return (
                        None,
                        [
                            file_error(
                                _(
                                    "The first row must be the header (material, period, quantity, unit, ...)."
                                )
                            )
                        ],
                        "xlsx",
                    )
                header = texts
                normalised = [h.strip().lower() for h in header]
                quantity_col = normalised.index("quantity") if "quantity" in normalised else None
                continue
            rows.append(texts)
            if len(rows) > max_rows:
                return None, [_too_many_rows(max_rows)], "xlsx"
        if errors:
            return None, errors, "xlsx"
        if header is None:
            return None, [file_error(_("The file is empty."))], "xlsx"
        width = len(header)
        rows = [(r + [""] * width)[:width] if len(r) != width else r for r in rows]
        names = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
        frame = pd.DataFrame(rows, columns=names, dtype=str)
        return frame, [], "xlsx"
    finally:
        values_book.close()
        formula_book.close()
