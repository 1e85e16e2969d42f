"""A small constant-memory XLSX writer for the exports (docs/benchmarks.md).

openpyxl builds an XML element per cell, even in its write-only mode: about 0.2 ms a cell, so a
member's export of 1,000 lines took most of a second. This writer streams each sheet's XML row by
row into the ZIP file, with the few features the exports use: a bold header row, column widths,
a number format per column, a frozen header and texts as inline strings. Numbers are written as
numbers (Decimals with all their digits), None as an empty cell; texts must already have passed
``rohstoff.core.exports.safe_cell``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

# Characters XML 1.0 does not allow (openpyxl refuses them; here they are dropped).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FIRST_CUSTOM_FORMAT = 164


@dataclass
class Column:
    header: str
    width: float = 12
    number_format: str = ""  # e.g. "#,##0.000000" or "0.00%"; empty: General


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: Iterable[list] | RowXml


def column_letters(index: int) -> str:
    """The letters of the ``index``-th column (1: A, 27: AA)."""
    return _letters(index)


def _letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# Anything _text changes: most texts of an export (codes, periods, names, dates) have none of it.
_TO_ESCAPE = re.compile(r'[&<>"\x00-\x08\x0b\x0c\x0e-\x1f]')


def _text(value) -> str:
    text = str(value)
    if _TO_ESCAPE.search(text) is None:
        return text
    return escape(_ILLEGAL.sub("", text), {'"': "&quot;"})


def _cell(ref: str, value, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{s}><v>{format(value, "f")}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


def write(out, sheets: list[Sheet], *, title: str = "", compresslevel: int = 1) -> None:
    """Write the workbook to the binary file ``out``; each sheet's rows are consumed once. A
    sheet whose ``rows`` is a :class:`RowXml` gets its rows as XML already formatted."""
    formats: list[str] = []
    for sheet in sheets:
        for column in sheet.columns:
            if column.number_format and column.number_format not in formats:
                formats.append(column.number_format)
    # Styles: 0 default, 1 bold (the header), 2 + i the i-th number format.
    style_of = {fmt: 2 + i for i, fmt in enumerate(formats)}
    # The fastest deflate level by default: a member's export of 1,000 lines compresses in 1 ms
    # instead of 3.5 ms (zlib's default), for a file about a sixth larger (57 KB instead of 49 KB).
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as book:
        book.writestr("[Content_Types].xml", _content_types(len(sheets)))
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("docProps/core.xml", _core(title))
        book.writestr("xl/workbook.xml", _workbook(sheets))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        book.writestr("xl/styles.xml", _styles(formats))
        for number, sheet in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                _write_sheet(part, sheet, style_of)


@dataclass
class RowXml:
    """A sheet's rows as ``<row>`` elements already written, in blocks of bytes, from the second
    row on (the header is the first): what the database formats for a large export
    (``industry.demandexport.copy_xlsx``)."""

    blocks: Iterable[bytes]


def _write_sheet(part, sheet: Sheet, style_of: dict[str, int]) -> None:
    letters = [_letters(i) for i in range(1, len(sheet.columns) + 1)]
    styles = [style_of.get(c.number_format, 0) for c in sheet.columns]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
        for i, c in enumerate(sheet.columns, start=1)
    )
    part.write(
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            "</sheetView></sheetViews>"
            f"<cols>{cols}</cols><sheetData>"
            '<row r="1">'
            + "".join(_cell(f"{letters[i]}1", c.header, 1) for i, c in enumerate(sheet.columns))
            + "</row>"
        ).encode("utf-8")
    )
    if isinstance(sheet.rows, RowXml):
        for block in sheet.rows.blocks:
            part.write(block)
        part.write(b"</sheetData></worksheet>")
        return
    chunk: list[str] = []
    columns = [
        (letter, f' s="{style}"' if style else "", style)
        for letter, style in zip(letters, styles, strict=True)
    ]
    for r, row in enumerate(sheet.rows, start=2):
        chunk.append(f'<row r="{r}">{"".join(_row_cells(columns, row, r))}</row>')
        if len(chunk) >= 500:
            part.write("".join(chunk).encode("utf-8"))
            chunk = []
    part.write(("".join(chunk) + "</sheetData></worksheet>").encode("utf-8"))


def _row_cells(columns, row, r: int):
    """The cells of row ``r`` as :func:`_cell` writes them; texts, numbers and empty cells, most
    cells of an export, without its checks one by one (a member's export has 12,000 cells)."""
    for (letter, s, style), value in zip(columns, row, strict=False):
        kind = type(value)
        if kind is str and value:
            yield (
                f'<c r="{letter}{r}"{s} t="inlineStr"><is><t xml:space="preserve">'
                f"{_text(value)}</t></is></c>"
            )
        elif kind is float:
            yield f'<c r="{letter}{r}"{s}><v>{value!r}</v></c>'
        elif kind is Decimal:
            yield f'<c r="{letter}{r}"{s}><v>{format(value, "f")}</v></c>'
        elif kind is int:
            yield f'<c r="{letter}{r}"{s}><v>{value}</v></c>'
        elif value is None:
            yield f'<c r="{letter}{r}"{s}/>' if style else ""
        else:
            yield _cell(f"{letter}{r}", value, style)


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>' + sheets + "</Types>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)


def _core(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{_text(title)}</dc:title></cp:coreProperties>"
    )


def _workbook(sheets: list[Sheet]) -> str:
    entries = "".join(
        f'<sheet name="{_text(s.title[:31])}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{entries}</sheets></workbook>"
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{sheets}<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    )


def _styles(formats: list[str]) -> str:
    num_fmts = "".join(
        f'<numFmt numFmtId="{_FIRST_CUSTOM_FORMAT + i}" formatCode="{_text(fmt)}"/>'
        for i, fmt in enumerate(formats)
    )
    xfs = "".join(
        f'<xf numFmtId="{_FIRST_CUSTOM_FORMAT + i}" fontId="0" fillId="0" borderId="0" '
        'xfId="0" applyNumberFormat="1"/>'
        for i in range(len(formats))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
        + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{2 + len(formats)}">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        f"{xfs}</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
