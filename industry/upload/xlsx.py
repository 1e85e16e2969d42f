"""Reading the first sheet of an XLSX demand file: streamed, bounded, without entities.

An XLSX file is a zip archive of XML parts. This reader does not hand it to a spreadsheet library
(which expands XML entities and builds every declared cell); it checks the archive's table of
contents first (size, compression ratio, number of parts), then streams the workbook, the
shared strings and the first sheet through expat, counting as it goes and stopping at the first
bound it crosses (``limits``). A part that declares a DOCTYPE or an entity is refused before
anything in it is expanded. The rules are in docs/demand-file.md.
"""

from __future__ import annotations

import posixpath
import re
import xml.parsers.expat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.utils.translation import gettext as _

from ..lines import rules
from . import limits
from .validation import _too_many_rows, file_error

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK = 1 << 16

# expat reports names as "namespace local" (namespace_separator=" ").
ROW, CELL, VALUE, FORMULA, INLINE, TEXT, PHONETIC, SHARED_ITEM = (
    f"{MAIN} {name}" for name in ("row", "c", "v", "f", "is", "t", "rPh", "si")
)
SHEET = f"{MAIN} sheet"
SHEET_ID = f"{RELATIONSHIPS} id"
RELATIONSHIP = f"{PACKAGE_RELATIONSHIPS} Relationship"

_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


class Refused(Exception):
    """The file crossed a bound or cannot be read; ``error`` is the file error to report, worded
    by ``render`` in each language (``validation.file_error``)."""

    def __init__(self, render: Callable[[], str]):
        self.error = file_error(render)
        super().__init__(self.error["message"])


def _count(n: int) -> str:
    return rules.number(Decimal(n))


def unreadable() -> Refused:
    return Refused(lambda: _("This is not a readable XLSX file. Upload a CSV or an XLSX file."))


def _entities_refused(*_args) -> None:
    raise Refused(
        lambda: _(
            "The XLSX file declares XML entities (DOCTYPE), which no spreadsheet program writes. "
            "Save it again from Excel or LibreOffice."
        )
    )


def _text_too_long() -> Refused:
    return Refused(
        lambda: (
            _(
                "The file holds a text of more than %(limit)s characters; no value of a demand file "
                "is that long."
            )
            % {"limit": limits.MAX_TEXT_LENGTH}
        )
    )


def _parser() -> xml.parsers.expat.XMLParserType:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartDoctypeDeclHandler = _entities_refused
    parser.EntityDeclHandler = _entities_refused
    return parser


def _feed(archive: zipfile.ZipFile, name: str, parser) -> None:
    """Stream one part through ``parser``; the archive's declared sizes were checked already and
    zipfile never returns more than a member declares."""
    _parsed(archive).add(name)
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise unreadable() from exc
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        # RuntimeError: an encrypted part; ValueError, OSError: a damaged stream.
        raise unreadable() from exc


def _parsed(archive: zipfile.ZipFile) -> set[str]:
    """The parts of ``archive`` parsed so far."""
    if not hasattr(archive, "parsed_parts"):
        archive.parsed_parts = set()
    return archive.parsed_parts


def _check_archive(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.MAX_ARCHIVE_MEMBERS:
        raise unreadable()
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.RATIO_FLOOR_BYTES and ratio > limits.MAX_COMPRESSION_RATIO:
            raise Refused(
                lambda ratio=ratio: (
                    _(
                        "The XLSX file unpacks to %(ratio)s times its size, more than a spreadsheet "
                        "does (limit %(limit)s)."
                    )
                    % {"ratio": f"{ratio:.0f}", "limit": limits.MAX_COMPRESSION_RATIO}
                )
            )
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise Refused(
            lambda: (
                _("The XLSX file unpacks to %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{total / 2**20:.0f}",
                    "limit": f"{limits.MAX_UNCOMPRESSED_BYTES / 2**20:.0f}",
                }
            )
        )
    return {member.filename: member for member in members}


def _check_no_entities(archive: zipfile.ZipFile, name: str) -> None:
    """Parse a part that is not read otherwise, only to refuse a DOCTYPE in it."""
    _feed(archive, name, _parser())


def _relationships(archive, names, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in names:
        return found

    def start(name, attrs):
        if name == RELATIONSHIP and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            if target.startswith("/"):
                path = target.lstrip("/")
            else:
                path = posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), path)

    parser = _parser()
    parser.StartElementHandler = start
    _feed(archive, rels, parser)
    return found


def _workbook_parts(archive, names) -> tuple[str, str | None]:
    """The first sheet's part and the shared-string part, as the workbook names them."""
    workbook = "xl/workbook.xml"
    for _rel_id, (kind, target) in _relationships(archive, names, "").items():
        if kind.endswith("/officeDocument"):
            workbook = target
    if workbook not in names:
        raise unreadable()
    first_sheet: list[str] = []

    def start(name, attrs):
        if name == SHEET and not first_sheet:
            first_sheet.append(attrs.get(SHEET_ID, ""))

    parser = _parser()
    parser.StartElementHandler = start
    _feed(archive, workbook, parser)
    relationships = _relationships(archive, names, workbook)
    if not first_sheet or first_sheet[0] not in relationships:
        raise Refused(lambda: _("The file is empty."))
    sheet = relationships[first_sheet[0]][1]
    shared = next(
        (target for kind, target in relationships.values() if kind.endswith("/sharedStrings")),
        None,
    )
    if sheet not in names or (shared is not None and shared not in names):
        raise unreadable()
    return sheet, shared


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as ``_xHHHH_`` (``_x000D_`` is a CR)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _shared_strings(archive, part: str) -> list[str]:
    strings: list[str] = []
    pieces: list[str] = []
    state = {"collect": False, "phonetic": 0, "length": 0, "total": 0}
    max_count, max_total = limits.max_shared_strings(), limits.max_shared_string_chars()

    def start(name, attrs):
        if name == TEXT and not state["phonetic"]:
            state["collect"] = True
        elif name == SHARED_ITEM:
            pieces.clear()
            state["length"] = 0
            if len(strings) >= max_count:
                raise Refused(
                    lambda: (
                        _("The file holds more than %(limit)s distinct texts.")
                        % {"limit": _count(max_count)}
                    )
                )
        elif name == PHONETIC:
            state["phonetic"] += 1

    def end(name):
        if name == TEXT:
            state["collect"] = False
        elif name == SHARED_ITEM:
            strings.append(_unescape("".join(pieces)).strip())
        elif name == PHONETIC:
            state["phonetic"] -= 1

    def data(text):
        if state["collect"]:
            state["length"] += len(text)
            state["total"] += len(text)
            if state["length"] > limits.MAX_TEXT_LENGTH:
                raise _text_too_long()
            if state["total"] > max_total:
                raise Refused(
                    lambda: (
                        _("The file's texts hold more than %(limit)s characters together.")
                        % {"limit": _count(max_total)}
                    )
                )
            pieces.append(text)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = data
    _feed(archive, part, parser)
    return strings


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


# Column letters -> index, for every column a cell may name (A ... XFD); others are unreadable.
_COLUMNS = {_column_name(i): i for i in range(16384)}
_DIGITS = "0123456789"


def number_text(value: str) -> str:
    """A number cell as its text: integers without a point, others as the double Excel stored
    (``1500.25``), never in exponent notation."""
    if "." not in value and "E" not in value and "e" not in value:
        try:
            return str(int(value))
        except ValueError:
            return value
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    try:
        return format(Decimal(repr(number)), "f")
    except InvalidOperation:  # inf, nan
        return value


@dataclass
class Sheet:
    """The cells of one sheet as rows of text (index = column): ``rows[i]`` is the sheet's row
    ``i + 1``; gaps are blank rows, blank rows at the end are left out. Formula cells without a
    saved result are listed (the first ``ERRORS_LISTED``: row, column, cell) and counted."""

    rows: list[list[str]] = field(default_factory=list)
    formula_errors: list[tuple[int, int, str]] = field(default_factory=list)
    formula_error_count: int = 0


def _sheet_handlers(sheet: Sheet, shared: list[str], text_number):
    """expat handlers that fill ``sheet``, checking every bound as an element starts. Closures
    over local state rather than methods: this runs for every element of up to 200,000 rows."""
    rows = sheet.rows
    most_rows = limits.max_rows() + 1
    most_elements = limits.max_row_elements()
    most_cells = limits.max_cells()
    per_row = limits.MAX_CELLS_PER_ROW
    most_text = limits.MAX_TEXT_LENGTH
    most_columns = limits.MAX_COLUMNS
    columns_by_name = _COLUMNS
    width = most_columns  # narrowed to the header's width after row 1
    quantity_column = -1
    row_elements = cells = row_cells = 0
    row_number = 0
    row: list[str] = []
    column = -1
    cell_ref = ""
    kind = None
    has_formula = has_value = collect = False
    phonetic = 0
    pieces: list[str] = []
    length = 0

    def too_many_rows() -> Refused:
        return Refused(_too_many_rows(limits.max_rows()))

    def start(name, attrs):
        nonlocal cells, row_cells, column, cell_ref, kind, has_formula, has_value, pieces
        nonlocal length, collect, phonetic, row_elements, row_number, row
        if name == CELL:
            row_cells += 1
            cells += 1
            if row_cells > per_row:
                raise Refused(
                    lambda: (
                        _("Row %(row)s has more than %(limit)s cells.")
                        % {"row": row_number, "limit": per_row}
                    )
                )
            if cells > most_cells:
                raise Refused(
                    lambda: (
                        _("The sheet has more than %(limit)s cells.")
                        % {"limit": _count(most_cells)}
                    )
                )
            ref = attrs.get("r")
            if ref:
                index = columns_by_name.get(ref.rstrip(_DIGITS))
                column = column + 1 if index is None else index
                cell_ref = ref
            else:
                column += 1
                cell_ref = f"{_column_name(column)}{row_number}"
            kind = attrs.get("t")
            has_formula = has_value = False
            pieces = []
            length = 0
        elif name == VALUE:
            collect = has_value = True
        elif name == TEXT:
            if not phonetic:
                collect = has_value = True
        elif name == FORMULA:
            has_formula = True
        elif name == ROW:
            row_elements += 1
            if row_elements > most_elements:
                raise too_many_rows()
            number = row_number + 1
            ref = attrs.get("r")
            if ref:
                try:
                    number = max(number, int(ref))
                except ValueError:
                    raise unreadable() from None
            row_number = number
            row = []
            row_cells = 0
            column = -1
        elif name == PHONETIC:
            phonetic += 1

    def end(name):
        nonlocal collect, phonetic, width, quantity_column
        if name == CELL:
            end_cell()
        elif name in (VALUE, TEXT):
            collect = False
        elif name == ROW:
            if row:
                if row_number > most_rows:
                    raise too_many_rows()
                blank = row_number - 1 - len(rows)
                if blank > 0:
                    rows.extend([] for _ in range(blank))
                rows.append(row)
                if len(rows) == 1:
                    width = min(len(row), most_columns)
                    names = [name.lower() for name in row]
                    if "quantity" in names:
                        quantity_column = names.index("quantity")
        elif name == PHONETIC:
            phonetic -= 1

    def data(text):
        nonlocal length
        if collect:
            length += len(text)
            if length > most_text:
                raise _text_too_long()
            pieces.append(text)

    def end_cell():
        if column >= width and rows:
            return  # right of the header: not read (the header's own width is bounded)
        if has_formula and (not has_value or (kind != "str" and not pieces)):
            sheet.formula_error_count += 1
            if len(sheet.formula_errors) < limits.ERRORS_LISTED:
                sheet.formula_errors.append((row_number, column, cell_ref))
            return
        if not pieces:
            return
        raw = pieces[0] if len(pieces) == 1 else "".join(pieces)
        if kind == "s":
            try:
                text = shared[int(raw)]
            except (ValueError, IndexError):
                raise unreadable() from None
        elif kind is None or kind == "n":
            text = number_text(raw.strip())
        elif kind == "b":
            text = "True" if raw.strip() == "1" else "False"
        elif kind == "d":  # an ISO date
            text = raw.strip()
        else:  # "inlineStr", "str" (a formula's text), "e" (#DIV/0!)
            text = _unescape(raw).strip()
        if not text:
            return
        if column >= most_columns:
            raise Refused(
                lambda: _("The header has more than %(limit)s columns.") % {"limit": most_columns}
            )
        if column == quantity_column and text_number and kind not in (None, "n", "b", "d"):
            text = text_number(text)
        filled = len(row)
        if column == filled:
            row.append(text)
        elif column > filled:
            row.extend([""] * (column - filled))
            row.append(text)
        else:
            row[column] = text

    return start, end, data


def read_sheet(data: bytes, *, text_number=None) -> Sheet:
    """Read the first sheet of an XLSX file; raises ``Refused`` with the file error.
    ``text_number(text)`` rewrites a text cell of the quantity column."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise unreadable() from exc
    with archive:
        names = _check_archive(archive)
        sheet, shared_part = _workbook_parts(archive, names)
        for name in names:  # a DOCTYPE is refused in every XML part, read or not
            if (
                name not in _parsed(archive)
                and name not in (sheet, shared_part)
                and name.endswith((".xml", ".rels", ".vml"))
            ):
                _check_no_entities(archive, name)
        shared = _shared_strings(archive, shared_part) if shared_part else []
        result = Sheet()
        parser = _parser()
        (
            parser.StartElementHandler,
            parser.EndElementHandler,
            parser.CharacterDataHandler,
        ) = _sheet_handlers(result, shared, text_number)
        _feed(archive, sheet, parser)
    return result
