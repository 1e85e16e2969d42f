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
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.utils.translation import gettext as _

from . import limits

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
    """The file crossed a bound or cannot be read; ``error`` is the file error to report."""

    def __init__(self, message: str):
        super().__init__(message)
        self.error = {"row": None, "column": None, "message": str(message)}


def unreadable() -> Refused:
    return Refused(_("This is not a readable XLSX file. Upload a CSV or an XLSX file."))


def _entities_refused(*_args) -> None:
    raise Refused(
        _(
            "The XLSX file declares XML entities (DOCTYPE), which no spreadsheet program writes. "
            "Save it again from Excel or LibreOffice."
        )
    )


def _text_too_long() -> Refused:
    return Refused(
        _(
            "The file holds a text of more than %(limit)s characters; no value of a demand file "
            "is that long."
        )
        % {"limit": limits.MAX_TEXT_LENGTH}
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
                _(
                    "The XLSX file unpacks to %(ratio)s times its size, more than a spreadsheet "
                    "does (limit %(limit)s)."
                )
                % {"ratio": f"{ratio:.0f}", "limit": limits.MAX_COMPRESSION_RATIO}
            )
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise Refused(
            _("The XLSX file unpacks to %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": f"{total / 2**20:.0f}",
                "limit": f"{limits.MAX_UNCOMPRESSED_BYTES / 2**20:.0f}",
            }
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
        raise Refused(_("The file is empty."))
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
                    _("The file holds more than %(limit)s distinct texts.")
                    % {"limit": f"{max_count:,}"}
                )
        elif name == PHONETIC:
            state["phonetic"] += 1

    def end(name):
        if name == TEXT:
            state["collect"] = False
        elif name == SHARED_ITEM:
            strings.append(_unescape("".join(pieces)))
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
                    _("The file's texts hold more than %(limit)s characters together.")
                    % {"limit": f"{max_total:,}"}
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


class SheetReader:
    """Streams the cells of one sheet into rows of text (index = column), checking the bounds as
    each element starts. ``rows[i]`` is the sheet's row ``i + 1``; gaps are blank rows."""

    def __init__(self, shared: list[str], *, text_number=None):
        self.shared = shared
        # Applied to text cells of the quantity column (a number typed as text, "1.500,5").
        self.text_number = text_number
        self.quantity_column = -1
        self.rows: list[list[str]] = []
        self.formula_errors: list[tuple[int, int, str]] = []  # (row, column, cell)
        self.formula_error_count = 0
        self.width = limits.MAX_COLUMNS  # narrowed to the header's width after row 1
        self.max_rows = limits.max_rows() + 1
        self.max_elements = limits.max_row_elements()
        self.max_cells = limits.max_cells()
        self.row_elements = 0
        self.cells = 0
        self.row_number = 0
        self.row: list[str] = []
        self.row_cells = 0
        self.column = -1
        self.cell_ref = ""
        self.cell_type = None
        self.has_formula = False
        self.has_value = False
        self.pieces: list[str] = []
        self.length = 0
        self.collect = False
        self.phonetic = 0

    # expat handlers

    def start(self, name, attrs):
        if name == CELL:
            self.row_cells += 1
            self.cells += 1
            if self.row_cells > limits.MAX_CELLS_PER_ROW:
                raise Refused(
                    _("Row %(row)s has more than %(limit)s cells.")
                    % {"row": self.row_number, "limit": limits.MAX_CELLS_PER_ROW}
                )
            if self.cells > self.max_cells:
                raise Refused(
                    _("The sheet has more than %(limit)s cells.") % {"limit": f"{self.max_cells:,}"}
                )
            ref = attrs.get("r")
            column = _COLUMNS.get(ref.rstrip(_DIGITS)) if ref else None
            self.column = self.column + 1 if column is None else column
            self.cell_ref = ref or str(self.row_number)
            self.cell_type = attrs.get("t")
            self.has_formula = self.has_value = False
            self.pieces = []
            self.length = 0
        elif name == VALUE:
            self.collect, self.has_value = True, True
        elif name == TEXT:
            if not self.phonetic:
                self.collect, self.has_value = True, True
        elif name == FORMULA:
            self.has_formula = True
        elif name == ROW:
            self._start_row(attrs.get("r"))
        elif name == PHONETIC:
            self.phonetic += 1

    def _start_row(self, ref: str | None) -> None:
        self.row_elements += 1
        if self.row_elements > self.max_elements:
            raise self.too_many_rows()
        number = self.row_number + 1
        if ref:
            try:
                number = max(number, int(ref))
            except ValueError:
                raise unreadable() from None
        self.row_number = number
        self.row = []
        self.row_cells = 0
        self.column = -1

    def end(self, name):
        if name == CELL:
            self._end_cell()
        elif name in (VALUE, TEXT):
            self.collect = False
        elif name == ROW:
            if self.row:
                if self.row_number > self.max_rows:
                    raise self.too_many_rows()
                blank = self.row_number - 1 - len(self.rows)
                if blank > 0:
                    self.rows.extend([] for _ in range(blank))
                self.rows.append(self.row)
                if len(self.rows) == 1:
                    self.width = min(len(self.row), limits.MAX_COLUMNS)
                    names = [name.lower() for name in self.row]
                    if "quantity" in names:
                        self.quantity_column = names.index("quantity")
        elif name == PHONETIC:
            self.phonetic -= 1

    def data(self, text):
        if self.collect:
            self.length += len(text)
            if self.length > limits.MAX_TEXT_LENGTH:
                raise _text_too_long()
            self.pieces.append(text)

    def _end_cell(self) -> None:
        column = self.column
        if column >= self.width and self.rows:
            return  # right of the header: not read (the header's own width is bounded below)
        kind = self.cell_type
        if self.has_formula and (not self.has_value or (kind != "str" and not self.pieces)):
            self.formula_error_count += 1
            if len(self.formula_errors) < limits.ERRORS_LISTED:
                self.formula_errors.append((self.row_number, column, self.cell_ref))
            return
        if not self.pieces:
            return
        raw = "".join(self.pieces)
        if kind in (None, "n"):
            text = number_text(raw.strip())
        elif kind == "b":
            text = "True" if raw.strip() == "1" else "False"
        elif kind == "d":  # an ISO date
            text = raw.strip()
        else:
            if kind == "s":
                try:
                    text = self.shared[int(raw)].strip()
                except (ValueError, IndexError):
                    raise unreadable() from None
            else:  # "inlineStr", "str" (a formula's text), "e" (#DIV/0!)
                text = _unescape(raw).strip()
            if column == self.quantity_column and self.text_number and text:
                text = self.text_number(text)
        if not text:
            return
        if column >= limits.MAX_COLUMNS:
            raise Refused(
                _("The header has more than %(limit)s columns.") % {"limit": limits.MAX_COLUMNS}
            )
        row = self.row
        if column >= len(row):
            row.extend([""] * (column + 1 - len(row)))
        row[column] = text

    def too_many_rows(self) -> Refused:
        from .validation import _too_many_rows

        return Refused(_too_many_rows(limits.max_rows())["message"])


def read_sheet(data: bytes, *, text_number=None) -> SheetReader:
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
        reader = SheetReader(shared, text_number=text_number)
        parser = _parser()
        parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
        parser.CharacterDataHandler = reader.data
        _feed(archive, sheet, parser)
    return reader
