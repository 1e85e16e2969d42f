"""The positions exports write a text that would start a formula as text (rohstoff.core.exports)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

HOSTILE = '=HYPERLINK("http://evil","Lithium")'


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_hostile_material_name_is_exported_as_text(login, rich_round, member_a, fmt):
    from rohstoff.core.models import Material

    Material.objects.filter(code="lithium-hydroxide").update(name_de=HOSTILE, name_en=HOSTILE)
    response = login(member_a).get(
        reverse("tradinghouse:round_export", args=[rich_round.pk, fmt]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        names = {row["Material"] for row in rows}
        negative = [row["Open (t)"] for row in rows if row["Open (t)"].startswith("-")]
        assert not [v for v in negative if v.startswith("'")]
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        header = [c.value for c in sheet[1]]
        cells = [row[header.index("Material")] for row in sheet.iter_rows(min_row=2)]
        assert all(cell.data_type == "s" for cell in cells)
        names = {cell.value for cell in cells}
    assert "'" + HOSTILE in names and HOSTILE not in names
