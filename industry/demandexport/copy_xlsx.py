"""The demand export's XLSX with its rows written by PostgreSQL, for the inline export and the job.

The rows built in Python took 16 times as long as a ``COPY`` of the same rows (docs/benchmarks.md).
Here the database writes each row's ``<row>`` element with the cells ``rohstoff.core.xlsx`` writes
(inline strings, numbers as numbers; without the optional cell references, an empty cell as
``<c/>``), and Python only puts the blocks into the workbook's ZIP file while the database writes
the next ones:

* most rows need no care (no character to escape, no formula start, no empty code): one
  ``format()`` call writes them; regular expressions over the row's texts find the others;
* in those, text passes ``safe_cell`` (the formula guard of ``copy_csv``), loses the characters
  XML 1.0 does not allow and is escaped as ``xml.sax.saxutils.escape`` escapes it; a line break
  is written as a character reference (``&#10;``, after ``\\r\\n`` and ``\\r`` became ``\\n`` as
  an XML reader makes them), a tab and a backslash too: ``COPY``'s text format would escape them;
* values of a fixed vocabulary (codes, periods, our words, times) are written without
  ``xml:space="preserve"``: they have no spaces to keep;
* numbers are the stored decimals without trailing zeros (the Python writer writes the same value
  as a float);
* status, time (in our time zone, ``copy_csv.local_time``), entered-by and order are those of
  ``copy_csv``.

``tests/industry/test_export_jobs.py`` compares the workbook with the Python writer's, cell by
cell, on lines with formula starts, quotes, line breaks, tabs, backslashes and XML's specials.
"""

from __future__ import annotations

from typing import BinaryIO

from django.db import connection
from psycopg import sql

from rohstoff.core import xlsx
from rohstoff.core.exports import FORMULA_STARTS

from .. import exports
from .copy_csv import (
    ENTERED_BY_SQL,
    ORDER_SQL,
    UPDATED_AT_SQL,
    lit,
    local_time,
    safe_text,
    source_sql,
    status_sql,
)

# A text with any of these needs work: XML's specials, the backslash, and the control characters
# (line breaks and tabs, which COPY would escape, and those XML does not allow).
_SPECIAL = '[&<>"\\\\\x01-\x1f]'


def _xml_text(expr: str) -> str:
    """The text of ``expr`` as the Python writer puts it into an inline string, made safe for
    ``COPY``'s text format (no line break, tab or backslash left as such)."""
    value = f"regexp_replace({expr}, '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]', '', 'g')"
    value = f"replace(replace({value}, E'\\r\\n', E'\\n'), E'\\r', E'\\n')"
    for char, reference in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("\\\\", "&#92;"),
        ("\\n", "&#10;"),
        ("\\t", "&#9;"),
    ):
        value = f"replace({value}, E'{char}', '{reference}')"
    return value


def _text_cell(value: str) -> str:
    """An inline-string cell (``<c/>`` for an empty text). ``value`` has passed the formula guard
    and is never NULL; only a text with a special character goes through the escaping. ``concat``
    builds each string once, where ``||`` copies the growing row for every piece."""
    start = '\'<c t="inlineStr"><is><t xml:space="preserve">\''
    return (
        f"CASE WHEN {value} = '' THEN '<c/>' "
        f"WHEN {value} ~ {lit(_SPECIAL)} "
        f"THEN concat({start}, {_xml_text(value)}, '</t></is></c>') "
        f"ELSE concat({start}, {value}, '</t></is></c>') END"
    )


_INLINE = '<c t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'
# Values from a fixed vocabulary (codes, periods, words of ours, times) have no spaces to keep.
_INLINE_CODE = '<c t="inlineStr"><is><t>%s</t></is></c>'


def _query(*, round_id: int, organisation_id: int | None) -> sql.Composed:
    # (kind, expression): "free" text may be empty and hold anything; a "code" is never empty in
    # a stored line (its rules say so) and written without xml:space; numbers as numbers.
    values = [
        ("code", "m.code"),
        ("code", "l.period"),
        ("number", "l.quantity"),
        ("code", "l.unit"),
        ("code", "l.commitment"),
        ("free", "l.grade"),
        ("code", "l.delivery_country"),
        ("number", "l.quantity_t"),
        ("code", f"({status_sql()})"),
        ("free", "l.exclusion_reason"),
        ("free", ENTERED_BY_SQL),
        ("code", UPDATED_AT_SQL),
    ]
    if organisation_id is None:
        values.insert(0, ("free", "o.name"))
    # The inner query computes each value once; the outer one writes the row's XML. Cells and
    # rows carry no references (they are optional): an empty cell is written as ``<c/>`` so that
    # the next one keeps its column, and numbering the rows would cost a window over the sort.
    inner = ", ".join(
        f"trim_scale({expr}) AS v{i}" if kind == "number" else f"coalesce({expr}, '') AS v{i}"
        for i, (kind, expr) in enumerate(values)
    )
    texts = [f"v{i}" for i, (kind, _expr) in enumerate(values) if kind != "number"]
    codes = [f"v{i}" for i, (kind, _expr) in enumerate(values) if kind == "code"]
    # Most rows need no care: no character to escape, no formula start, no empty code. Those
    # are written by one format() call; regular expressions over the row's texts find the
    # others, whose cells go through the formula guard and the escaping one by one.
    template, arguments = [], []
    start, end = _INLINE.split("%s")
    for i, (kind, _expr) in enumerate(values):
        if kind == "number":
            template.append("<c><v>%s</v></c>")
            arguments.append(f"v{i}")
        elif kind == "code":
            template.append(_INLINE_CODE)
            arguments.append(f"v{i}")
        else:
            template.append("%s")
            arguments.append(
                f"CASE WHEN v{i} = '' THEN '<c/>' ELSE concat({lit(start)}, v{i}, {lit(end)}) END"
            )
    plain = f"format({lit('<row>' + ''.join(template) + '</row>')}, {', '.join(arguments)})"
    careful = ", ".join(
        f"concat('<c><v>', v{i}, '</v></c>')"
        if kind == "number"
        else _text_cell(safe_text(f"v{i}"))
        for i, (kind, _expr) in enumerate(values)
    )
    # A formula start is the first character of a text: after the separator (a character that
    # sends the row to the careful path itself when a text holds it).
    starts = "".join(c for c in FORMULA_STARTS if c.isprintable()).replace("-", "") + "-"
    needs_care = (
        f"concat({', '.join(texts)}) ~ {lit(_SPECIAL)}"
        f" OR concat_ws(E'\\x01', '', {', '.join(texts)}) ~ {lit(chr(1) + '[' + starts + ']')}"
        f" OR '' IN ({', '.join(codes)})"
    )
    return sql.SQL(
        f"COPY (SELECT CASE WHEN {needs_care} THEN concat('<row>', {careful}, '</row>')"  # noqa: S608
        f" ELSE {plain} END FROM (SELECT {inner}"
        + source_sql(round_id=round_id, organisation_id=organisation_id)
        + f" ORDER BY {ORDER_SQL}) AS line_values) TO STDOUT"
    )


def write(out: BinaryIO, *, round_id: int, organisation_id: int | None, title: str) -> int:
    """Write the workbook of the round's export (the desk's whole round when ``organisation_id``
    is None, else that firm's active lines) into ``out`` in the active language, with one sheet
    called ``title``; returns the lines written. The connection is busy until the COPY ends.

    One thread reads and compresses: handing the blocks to a second thread for compression was
    measured slower (2.8-3.2 s against 2.1 s at 300,000 lines; docs/benchmarks.md)."""
    header = exports.export_header(with_firm=organisation_id is None)
    query = _query(round_id=round_id, organisation_id=organisation_id)
    rows = 0

    def blocks():
        nonlocal rows
        with local_time(), connection.connection.cursor() as raw, raw.copy(query) as copy:
            for view in copy:
                block = bytes(view)
                rows += block.count(b"\n")
                yield block.replace(b"\n", b"")

    reading = blocks()
    sheet = xlsx.Sheet(title=title, columns=exports.xlsx_columns(header), rows=xlsx.RowXml(reading))
    try:
        xlsx.write(out, [sheet])  # at the writer's fastest deflate level
    finally:
        # A failed write leaves the COPY half read: end it now, so that the connection is free
        # for the job to record the failure.
        reading.close()
    return rows
