"""Files the pages hand out: demand exports, file templates and upload error reports.

CSV follows the reader's language (German: ``;`` and decimal comma, as German Excel opens it;
English: ``,`` and decimal point). Every text cell that begins with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return) is neutralised with a leading apostrophe
(``rohstoff.core.exports.safe_cell``), so that no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.exports import safe_cell
from rohstoff.core.language import uses_decimal_comma

from .upload.validation import COLUMNS

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_number(value: Decimal, comma: bool) -> str:
    text = (
        format(value.normalize(), "f")
        if value == value.to_integral()
        else format(value, "f").rstrip("0").rstrip(".")
    )
    return text.replace(".", ",") if comma else text


def write_csv(header: list[str], rows: Iterable[list]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def csv_chunks(header: list[str], rows: Iterable[list], *, rows_per_chunk=1000) -> Iterator[bytes]:
    """The CSV of :func:`write_csv` in pieces of ``rows_per_chunk`` rows, for a streaming
    response: memory stays bounded however many rows the iterable yields."""
    comma = uses_decimal_comma()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if comma else ",", lineterminator="\r\n")
    # UTF-8 with BOM: Excel then reads umlauts right; our own parser accepts it too.
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(
            [
                _csv_number(v, comma)
                if isinstance(v, Decimal)
                else safe_cell("" if v is None else str(v))
                for v in row
            ]
        )
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(sheets: list[tuple[str, list[str], Iterable[list]]]) -> bytes:
    with xlsx_file(sheets) as out:
        return out.read()


def xlsx_file(sheets: list[tuple[str, list[str], Iterable[list]]]):
    """The workbook as a temporary file (open, at its start), written row by row by the
    project's constant-memory writer (``rohstoff.core.xlsx``): bold header, column widths."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the response
    xlsx_write(out, sheets)
    out.seek(0)
    return out


def xlsx_write(out, sheets: list[tuple[str, list[str], Iterable[list]]]) -> None:
    """Write the workbook of :func:`xlsx_file` into the binary file ``out``."""
    from rohstoff.core import xlsx

    xlsx.write(
        out,
        [
            xlsx.Sheet(
                title=title,
                columns=xlsx_columns(header),
                # Numbers as numbers (Decimals keep their digits as text would not); text
                # neutralised.
                rows=(
                    [float(v) if isinstance(v, Decimal) else safe_cell(v) for v in row]
                    for row in rows
                ),
            )
            for title, header, rows in sheets
        ],
    )


def xlsx_columns(header: list[str]):
    """The export's columns in a workbook: each as wide as its name and at least 12."""
    from rohstoff.core import xlsx

    return [xlsx.Column(header=name, width=max(12, len(name) + 4)) for name in header]


def export_header(*, with_firm: bool) -> list[str]:
    header = list(COLUMNS) + [
        "quantity_t",
        "status",
        "exclusion_reason",
        "entered_by",
        "updated_at",
    ]
    return (["firm"] + header) if with_firm else header


def export_rows(lines, *, with_firm: bool) -> list[list]:
    return list(iter_export_rows(lines, with_firm=with_firm))


_EXPORT_FIELDS = (
    "organisation__name",
    "material__code",
    "period",
    "quantity",
    "unit",
    "commitment",
    "grade",
    "delivery_country",
    "quantity_t",
    "withdrawn_at",
    "excluded",
    "exclusion_reason",
    "entered_by__full_name",
    "entered_by__email",
    "updated_at",
)


def iter_export_rows(lines, *, with_firm: bool, chunk_size: int = 2000) -> Iterator[list]:
    """One row per line of the queryset ``lines``, read through a database cursor as plain
    values (no model objects: a member's 1,000 lines built 4,000 of them), so memory stays
    bounded however many lines there are."""
    withdrawn, excluded, active = _("withdrawn"), _("excluded"), _("active")
    zone = timezone.get_current_timezone()  # once, not per line (a context-local lookup)
    for (
        firm,
        material,
        period,
        quantity,
        unit,
        commitment,
        grade,
        country,
        quantity_t,
        withdrawn_at,
        is_excluded,
        reason,
        full_name,
        email,
        updated_at,
    ) in lines.values_list(*_EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        status = withdrawn if withdrawn_at else (excluded if is_excluded else active)
        row = [
            material,
            period,
            quantity,
            unit,
            commitment,
            grade,
            str(country),
            quantity_t,
            status,
            reason,
            full_name or email or "",
            timezone.localtime(updated_at, zone).isoformat(timespec="seconds"),
        ]
        yield ([firm] + row) if with_firm else row


def template_rows(round) -> list[list]:
    """One row per material of the round, quantity left empty: the file is refused until the
    buyer fills in the quantities (and deletes the rows it does not need)."""
    first_year = next(
        (
            y
            for y in range(round.first_period.year, round.last_period.year + 1)
            if round.first_quarter <= y * 4 and y * 4 + 3 <= round.last_quarter
        ),
        None,
    )
    period = str(first_year) if first_year else str(round.first_period)
    return [[m.code, period, "", "t", "indicative", "", "DE"] for m in round.materials.all()]


def materials_sheet(round) -> tuple[str, list[str], list[list]]:
    return (
        _("Materials"),
        ["material", _("name"), _("chemical form")],
        [[m.code, m.name, m.chemical_form] for m in round.materials.all()],
    )


def errors_csv(errors: list[dict]) -> bytes:
    return write_csv(
        ["row", "column", "message"],
        [
            [
                e.get("row") if e.get("row") is not None else "",
                e.get("column") or "",
                e.get("message", ""),
            ]
            for e in errors
        ],
    )


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def stream_download(chunks: Iterable[bytes], filename: str, content_type: str):
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def file_download(file, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(file, content_type=content_type, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response
