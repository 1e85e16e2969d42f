"""``safe_cell``: the one function every CSV and XLSX export runs each cell through."""

import datetime
from decimal import Decimal

import pytest

from rohstoff.core.exports import safe_cell


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+49 30 1234", "-1+1", "@SUM(A1)", "\tcmd", "\r=1"]
)
def test_text_that_would_start_a_formula_reads_as_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Lithiumhydroxid", "", " =1", "a=b", Decimal("-5"), -3, 2.5, None, datetime.date(2027, 1, 1)],
)
def test_everything_else_passes_unchanged(value):
    # Negative numbers are numbers, not formulas.
    assert safe_cell(value) == value
