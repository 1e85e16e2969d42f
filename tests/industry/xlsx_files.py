"""Small generators of XLSX files, legitimate and hostile, written part by part with zipfile.

A file is a minimal workbook (content types, relationships, workbook, optional shared strings,
one sheet); every part can be replaced, so a test writes exactly the shape it needs. Large parts
are given as iterables of byte chunks and streamed into the archive.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CONTENT_TYPES = DECLARATION + (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
ROOT_RELS = DECLARATION + (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
WORKBOOK = DECLARATION + (
    b'<workbook xmlns="' + MAIN + b'" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Demand" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = DECLARATION + (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    b"</Relationships>"
)
SHEET_START = DECLARATION + b'<worksheet xmlns="' + MAIN + b'"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"
HEADER = ["material", "period", "quantity", "unit"]


def column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell(ref: str, value) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def row_xml(number: int, values: list) -> bytes:
    cells = "".join(cell(f"{column_name(i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'.encode()


def sheet(rows: Iterable[bytes], *, prolog: bytes = b"") -> Iterable[bytes]:
    """A sheet part from rows of XML (``row_xml``); ``prolog`` goes between the XML declaration
    and the root element (where a DOCTYPE stands)."""
    yield DECLARATION + prolog + SHEET_START[len(DECLARATION) :]
    yield from rows
    yield SHEET_END


def shared_strings(strings: Iterable[str], *, prolog: bytes = b"") -> Iterable[bytes]:
    yield DECLARATION + prolog + b'<sst xmlns="' + MAIN + b'">'
    for text in strings:
        yield f"<si><t>{escape(text)}</t></si>".encode()
    yield b"</sst>"


def build(
    sheet_part: Iterable[bytes],
    *,
    strings: Iterable[bytes] | None = None,
    parts: dict[str, bytes] | None = None,
) -> bytes:
    """The archive; ``parts`` adds or replaces parts by name."""
    members: dict[str, Iterable[bytes]] = {
        "[Content_Types].xml": [CONTENT_TYPES],
        "_rels/.rels": [ROOT_RELS],
        "xl/workbook.xml": [WORKBOOK],
        "xl/_rels/workbook.xml.rels": [WORKBOOK_RELS],
        "xl/sharedStrings.xml": strings if strings is not None else shared_strings([]),
        "xl/worksheets/sheet1.xml": sheet_part,
    }
    for name, content in (parts or {}).items():
        members[name] = [content]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, chunks in members.items():
            with archive.open(name, "w") as target:
                for chunk in chunks:
                    target.write(chunk)
    return buffer.getvalue()


def demand_xlsx(rows: list[list]) -> bytes:
    """A plain demand file: header ``HEADER`` (or the first row given) and the rows."""
    return build(sheet(row_xml(n, values) for n, values in enumerate(rows, start=1)))
