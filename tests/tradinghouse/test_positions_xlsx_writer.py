"""The positions workbook written by the constant-memory writer holds what the former openpyxl
workbook held: the same cells, number formats, bold header and column widths, for the desk (with
the disclosure columns), a member (its own demand and share) and the element roll-up."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from rohstoff.core.exports import safe_cell
from tradinghouse import exports
from tradinghouse.exports import _columns, _rows


def old_to_xlsx(
    items, *, trustee: bool, by_element: bool, member: bool = False, title: str = ""
) -> bytes:
    """The same rows as :func:`to_csv`, as a workbook with number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cols = _columns(trustee=trustee, member=member, by_element=by_element)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (_("Elements") if by_element else _("Positions"))[:31]
    sheet.append([label for _key, label in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(items, by_element=by_element, member=member):
        values = []
        for key, _label in cols:
            value = row.get(key)
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
            elif value is not None and not isinstance(value, Decimal | int):
                value = safe_cell(str(value))
            values.append(value)
        sheet.append(values)
    for index, (key, _label) in enumerate(cols, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 28 if key == "material_name" else 16
        if key.endswith("_t"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.000000"
        elif key in ("coverage", "share"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.00%"
    sheet.freeze_panes = "A2"
    if title:
        workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cells(body: bytes):
    sheet = load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    formats = [[c.number_format for c in row] for row in sheet.iter_rows(min_row=2)]
    widths = {k: d.width for k, d in sheet.column_dimensions.items() if d.width}
    return values, formats, [c.font.bold for c in sheet[1]], widths, sheet.freeze_panes


@pytest.mark.parametrize(
    ("who", "query"), [("desk", {}), ("member_a", {}), ("desk", {"by": "element"})]
)
def test_same_workbook_as_before(request, login, rich_round, monkeypatch, who, query):
    client = login(request.getfixturevalue(who))
    url = reverse("tradinghouse:round_export", args=[rich_round.pk, "xlsx"])
    new = client.get(url, query, HTTP_ACCEPT_LANGUAGE="de").content
    monkeypatch.setattr(exports, "to_xlsx", old_to_xlsx)
    old = client.get(url, query, HTTP_ACCEPT_LANGUAGE="de").content
    assert new != old  # the test compares two writers, not one with itself
    new_cells, old_cells = _cells(new), _cells(old)
    assert len(new_cells[0]) > 3
    assert new_cells[0] == old_cells[0]  # values
    assert new_cells[1] == old_cells[1]  # number formats
    assert new_cells[2] == old_cells[2]  # bold header
    assert new_cells[3] == old_cells[3]  # widths
    assert new_cells[4] == old_cells[4] == "A2"
