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


def test_rows_are_written_as_cell_by_cell():
    """The row loop's shortcuts for texts and floats write what :func:`xlsx._cell` writes."""
    import zipfile

    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    columns = [xlsx.Column("a"), xlsx.Column("b", number_format="0.00%"), xlsx.Column("c")]
    values = [
        "",
        None,
        "plain",
        'Lithium <hydroxide> & "Co"',
        "tab\x01less\x1f",
        "Ausreißer ÄÖÜ",
        mark_safe("<b>safe</b>"),
        gettext_lazy("yes"),
        True,
        False,
        0,
        -7,
        1.5,
        -0.0,
        1e-07,
        Decimal("12.345678"),
        Decimal("-0.000001"),
        Decimal("1E+3"),
    ]
    rows = [[values[(i + j) % len(values)] for j in range(3)] for i in range(1200)]
    rows.append(["short row"])
    out = io.BytesIO()
    xlsx.write(out, [xlsx.Sheet(title="S", columns=columns, rows=iter(rows))])
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    styles = [0, 2, 0]
    expected = "".join(
        f'<row r="{r}">'
        + "".join(xlsx._cell(f"{'ABC'[i]}{r}", v, styles[i]) for i, v in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=2)
    )
    assert sheet.split("</row>", 1)[1] == expected + "</sheetData></worksheet>"
    # ... and texts without anything to escape are left as they are, the others escaped in full.
    from xml.sax.saxutils import escape

    for v in [*values, "&amp;", "<", ">", '"', "'", "\x00", "\x0b\x0c", "\x0e", "\t\n\r"]:
        assert xlsx._text(v) == escape(xlsx._ILLEGAL.sub("", str(v)), {'"': "&quot;"})
