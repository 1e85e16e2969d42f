"""Bounds on the work a demand file may cause, checked before or while it is read, never after
(docs/demand-file.md, "Limits"). A file that crosses one is refused with a file error
(``"row": null``) that names the limit; nothing of it is written.

The bounds that grow with the row limit (``DEMAND_FILE_MAX_ROWS``) are functions, so that a
deployment with a different row limit keeps them in proportion.
"""

from __future__ import annotations

from django.conf import settings

# Errors reported for one file: the first ERRORS_LISTED, then one entry with the count of the rest.
ERRORS_LISTED = 100
# A value quoted in an error message is cut to this many characters.
QUOTE_LENGTH = 60

# Columns: the header may name at most this many; cells further right are not read.
MAX_COLUMNS = 32
# Cell elements in one row of an XLSX sheet, empty (formatted) ones included.
MAX_CELLS_PER_ROW = 256
# Characters in one cell or shared string (the longest valid value, a grade, has 200).
MAX_TEXT_LENGTH = 1000

# The XLSX archive, from its table of contents before anything is decompressed.
MAX_ARCHIVE_MEMBERS = 1000
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
# Uncompressed / compressed size of one member; checked for members above RATIO_FLOOR_BYTES
# (a real sheet compresses about 8 to 1, a deflate bomb up to 1000 to 1).
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024


def max_rows() -> int:
    """Rows of demand a file may hold (the header not counted)."""
    return settings.DEMAND_FILE_MAX_ROWS


def max_row_elements() -> int:
    """Rows read at most, blank ones included: a file of millions of empty rows is refused
    before they are all read."""
    return 2 * (max_rows() + 1)


def max_cells() -> int:
    """Cell elements of a whole XLSX sheet."""
    return 16 * (max_rows() + 1)


def max_shared_strings() -> int:
    """Entries of an XLSX shared-string table (a real file has a few distinct texts per row)."""
    return 4 * (max_rows() + 1) + 1000


def max_shared_string_chars() -> int:
    """Characters of all shared strings together."""
    return 300 * (max_rows() + 1)
