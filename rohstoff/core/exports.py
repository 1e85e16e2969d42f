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
