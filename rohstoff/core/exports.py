"""What every CSV and XLSX export does to a cell before it writes it.

A text that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a
formula by spreadsheet programs (CSV injection; openpyxl even stores such a string as a formula).
:func:`safe_cell` prefixes it with an apostrophe, so that it reads as the text it is. Numbers,
dates and empty cells pass unchanged: a negative number is a number, not a formula. Every export
of every app calls it for each cell it writes.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as a spreadsheet cell may safely hold it: text that would start a formula gets
    a leading apostrophe; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_table(columns, rows, fmt: str, *, sheet: str = "", title: str = "") -> tuple[bytes, str]:
    """A table as CSV or XLSX bytes and their content type. ``columns`` are (key, label) pairs,
    ``rows`` dicts by key. CSV follows the reader's language (German: ``;`` and a decimal comma,
    with a byte-order mark for Excel); Decimals keep their digits, None is an empty cell, and
    every text cell passes :func:`safe_cell`."""
    import csv
    import io
    from decimal import Decimal

    from django.utils.translation import gettext as _

    from .language import uses_decimal_comma

    def plain(value):
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if value is None or isinstance(value, Decimal | int | float):
            return value
        return safe_cell(str(value))

    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        ws = workbook.active
        ws.title = (sheet or "Data")[:31]
        ws.append([str(label) for _key, label in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([plain(row.get(key)) for key, _label in columns])
        ws.freeze_panes = "A2"
        if title:
            workbook.properties.title = title
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    comma = uses_decimal_comma()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if comma else ",", lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in columns])
    for row in rows:
        cells = []
        for key, _label in columns:
            value = plain(row.get(key))
            if value is None:
                value = ""
            elif isinstance(value, Decimal | float):
                value = format(value, "f")
                value = value.replace(".", ",") if comma else value
            cells.append(value)
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
