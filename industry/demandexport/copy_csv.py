"""The demand export's CSV written by PostgreSQL's ``COPY``, for the inline export and the job.

A large round's CSV built row by row in Python takes about nine times as long as a ``COPY`` of the
same rows (docs/benchmarks.md). Here the database formats every cell the way
``industry.exports.csv_chunks`` does, and Python only writes the header and turns the line ends
into ``\\r\\n``:

* text passes ``safe_cell`` (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets an
  apostrophe); empty text is written as NULL, which ``COPY`` leaves unquoted as Python's csv
  module does;
* numbers lose their trailing zeros (``trim_scale``), with a decimal comma in German;
* the status is translated (the same words as ``iter_export_rows``), the time is the local time
  in ISO form with its offset;
* German: ``;`` between cells, English ``,``.

``tests/industry/test_export_jobs.py`` compares the file with the Python writer's, byte by byte.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from rohstoff.core.exports import FORMULA_STARTS
from rohstoff.core.language import uses_decimal_comma

from .. import exports


def lit(value) -> str:
    """A value as an SQL literal (psycopg quotes it)."""
    return sql.Literal(value).as_string(None)


def safe_text(expr: str) -> str:
    """``expr`` as ``safe_cell`` leaves it: a leading formula character gets an apostrophe."""
    starts = ", ".join(lit(c) for c in FORMULA_STARTS)
    return f"CASE WHEN left({expr}, 1) IN ({starts}) THEN '''' || {expr} ELSE {expr} END"


def _text(expr: str) -> str:
    return f"NULLIF({safe_text(expr)}, '')"


def _number(expr: str, comma: bool) -> str:
    text = f"trim_scale({expr})::text"
    return f"replace({text}, '.', ',')" if comma else text


def status_sql() -> str:
    """The line's status in the active language (the words of ``iter_export_rows``)."""
    return (
        f"CASE WHEN l.withdrawn_at IS NOT NULL THEN {lit(_('withdrawn'))} "
        f"WHEN l.excluded THEN {lit(_('excluded'))} ELSE {lit(_('active'))} END"
    )


# Local time and its offset, as timezone.localtime(...).isoformat(timespec="seconds"), formatted
# by the database in the session's time zone: valid only inside ``local_time()``.
UPDATED_AT_SQL = "to_char(l.updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"
ENTERED_BY_SQL = "coalesce(nullif(u.full_name, ''), u.email, '')"
# The export's order (``services.ORDER``).
ORDER_SQL = "o.name, m.sort_order, l.first_quarter, l.is_year, l.id"


def source_sql(*, round_id: int, organisation_id: int | None) -> str:
    """FROM and WHERE of the export's rows: the whole round for the desk, else the firm's active
    lines. Only integers are put into it."""
    where = f"l.round_id = {int(round_id)}"
    if organisation_id is not None:
        where += f" AND l.organisation_id = {int(organisation_id)} AND l.withdrawn_at IS NULL"
    return (
        " FROM industry_demandline l"
        " JOIN core_organisation o ON o.id = l.organisation_id"
        " JOIN core_material m ON m.id = l.material_id"
        " LEFT JOIN core_user u ON u.id = l.entered_by_id"
        f" WHERE {where}"
    )


@contextmanager
def local_time():
    """The block's statements see our time zone (``settings.TIME_ZONE``) as the session's, so that
    ``to_char`` writes local times with their offset (``UPDATED_AT_SQL``: a third of a second per
    million lines less than converting each time). The block runs in a transaction, or a
    savepoint within one, that is rolled back at its end, which undoes the setting: the export
    only reads."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, true)", [settings.TIME_ZONE])
        yield
        transaction.set_rollback(True)


def _query(*, round_id: int, organisation_id: int | None, comma: bool) -> sql.Composed:
    cells = [
        _text("m.code"),
        _text("l.period"),
        _number("l.quantity", comma),
        _text("l.unit"),
        _text("l.commitment"),
        _text("l.grade"),
        _text("l.delivery_country"),
        _number("l.quantity_t", comma),
        _text(f"({status_sql()})"),
        _text("l.exclusion_reason"),
        _text(ENTERED_BY_SQL),
        UPDATED_AT_SQL,
    ]
    if organisation_id is None:
        cells.insert(0, _text("o.name"))
    # Only integers, column names and psycopg Literals are put into the statement.
    return sql.SQL(
        "COPY (SELECT "  # noqa: S608
        + ", ".join(cells)
        + source_sql(round_id=round_id, organisation_id=organisation_id)
        + f" ORDER BY {ORDER_SQL}"
        f") TO STDOUT WITH (FORMAT csv, DELIMITER {lit(';' if comma else ',')})"
    )


def write(out: BinaryIO, *, round_id: int, organisation_id: int | None) -> tuple[int, int]:
    """Write the export of the round (the desk's whole round when ``organisation_id`` is None,
    else that firm's active lines) into ``out`` in the active language; returns the lines and
    the bytes written. The connection is busy until the COPY ends: nothing else may use it meanwhile."""
    comma = uses_decimal_comma()
    header = exports.export_header(with_firm=organisation_id is None)
    out.write(next(exports.csv_chunks(header, [])))
    query = _query(round_id=round_id, organisation_id=organisation_id, comma=comma)
    inside = False  # within a quoted cell: its line ends stay as they are
    written = rows = 0  # a row ends at a line break outside quotes
    with local_time(), connection.connection.cursor() as raw, raw.copy(query) as copy:
        for view in copy:
            block = bytes(view)
            if not inside and b'"' not in block:  # most blocks: no quoted cell
                rows += block.count(b"\n")
                data = block.replace(b"\n", b"\r\n")
                out.write(data)
                written += len(data)
                continue
            parts = block.split(b'"')
            for i, part in enumerate(parts):
                if not inside:
                    rows += part.count(b"\n")
                    parts[i] = part.replace(b"\n", b"\r\n")
                if i < len(parts) - 1:
                    inside = not inside
            data = b'"'.join(parts)
            out.write(data)
            written += len(data)
    return rows, written
