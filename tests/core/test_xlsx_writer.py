"""The constant-memory XLSX writer: what openpyxl reads back from it."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from rohstoff.core import xlsx


def test_values_styles_and_layout():
    out = io.BytesIO()
    rows = [
        ['Lithium <hydroxide> & "Co"', Decimal("12.345678"), Decimal("0.125"), 3, None],
        ["tab\x01less", 1.5, None, True, "'=1+1"],
    ]
    xlsx.write(
        out,
        [
            xlsx.Sheet(
                title="Positions",
                columns=[
                    xlsx.Column("material", width=28),
                    xlsx.Column("demand_t", number_format="#,##0.000000"),
                    xlsx.Column("share", number_format="0.00%"),
                    xlsx.Column("n"),
                    xlsx.Column("note"),
                ],
                rows=iter(rows),
            ),
            xlsx.Sheet(title="Second", columns=[xlsx.Column("a")], rows=[]),
        ],
        title="Runde 2027",
    )
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["Positions"]
    assert [c.value for c in sheet[1]] == ["material", "demand_t", "share", "n", "note"]
    assert all(c.font.bold for c in sheet[1])
    assert [c.value for c in sheet[2]] == [
        'Lithium <hydroxide> & "Co"',
        12.345678,
        0.125,
        3,
        None,
    ]
    assert [c.value for c in sheet[3]] == ["tabless", 1.5, None, True, "'=1+1"]
    assert sheet["B2"].number_format == "#,##0.000000" and sheet["C2"].number_format == "0.00%"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width == 28
    assert book.sheetnames == ["Positions", "Second"] and book.properties.title == "Runde 2027"
