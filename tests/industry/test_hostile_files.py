"""Hostile and malformed demand files (issue 9, item 1): each is generated here, sent through the
API and the page, and refused with a file error (``"row": null``) that names the bound it
crossed; nothing is written.

That the work stops *at* the bound, not after reading everything, is shown without timing: the
hostile part goes on past the bound into XML that cannot be parsed. A reader that went further
would answer "not a readable XLSX file" instead of naming the bound.
"""

import io
import json
import zipfile

import pytest

from industry.models import DemandLine, DemandUpload, UploadState
from industry.upload import limits
from industry.upload import services as upload_services
from industry.upload.validation import error_total

from .conftest import csv_bytes
from .xlsx_files import (
    HEADER,
    build,
    column_name,
    demand_xlsx,
    row_xml,
    shared_strings,
    sheet,
)

BROKEN = b"<not xml <<<"  # what follows a bound: never reached


def url(round):
    return f"/api/v1/rounds/{round.pk}/demand/upload/"


def api_upload(api, round, user, data: bytes, name="demand.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return api(user).post(url(round), {"file": file}, format="multipart")


def page_upload(login, round, user, data: bytes, name="demand.xlsx") -> DemandUpload:
    file = io.BytesIO(data)
    file.name = name
    response = login(user).post(f"/rounds/{round.pk}/demand/upload/", {"file": file})
    assert response.status_code == 302
    return DemandUpload.objects.get()


def good_row(number: int) -> bytes:
    return row_xml(number, ["ndpr-oxide", "2027", 4, "t"])


# ---- the hostile files -----------------------------------------------------------------------


def wide_row() -> bytes:
    """One row holding far more cells than a demand file has columns (2 million in the issue;
    a few thousand cross the bound just the same), then broken XML."""
    cells = "".join(f'<c r="{column_name(i % 16384)}2"><v>1</v></c>' for i in range(5000))
    return build(sheet([row_xml(1, HEADER), f'<row r="2">{cells}'.encode(), BROKEN]))


def deflate_bomb() -> bytes:
    """A sheet that unpacks to about a thousand times its packed size."""
    padding = (b" " * (1 << 20) for _ in range(40))
    return build(sheet([row_xml(1, HEADER), good_row(2), *padding]))


def long_shared_string() -> bytes:
    """One shared string longer than any value of a demand file, cut off by broken XML."""
    strings = [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>',
        b"x" * 200_000,  # past expat's text buffer, so the bound is checked before BROKEN
        BROKEN,
    ]
    return build(sheet([row_xml(1, HEADER)]), strings=strings)


def long_inline_text() -> bytes:
    return build(
        sheet(
            [
                row_xml(1, HEADER),
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>',
                b"y" * 200_000,
                BROKEN,
            ]
        )
    )


def many_shared_strings() -> bytes:
    count = limits.max_shared_strings() + 1
    strings = shared_strings(str(i) for i in range(count))
    return build(sheet([row_xml(1, HEADER)]), strings=[*strings, BROKEN])


def many_blank_rows() -> bytes:
    """Millions of rows without a declared dimension in the issue; here just past the bound."""
    rows = (f'<row r="{n}"/>'.encode() for n in range(2, limits.max_row_elements() + 3))
    return build(sheet([row_xml(1, HEADER), *rows, BROKEN]))


def many_rows() -> bytes:
    rows = (good_row(n) for n in range(2, limits.max_rows() + 3))
    return build(sheet([row_xml(1, HEADER), *rows, BROKEN]))


def far_row() -> bytes:
    """One row far below the limit's last row: its number alone refuses it."""
    return build(sheet([row_xml(1, HEADER), good_row(limits.max_rows() + 2), BROKEN]))


def many_cells() -> bytes:
    """Rows each within the per-row bound, together over the sheet's bound."""
    per_row = limits.MAX_CELLS_PER_ROW - 1
    rows = (row_xml(n, [1] * per_row) for n in range(2, 2 + limits.max_cells() // per_row + 2))
    return build(sheet([row_xml(1, HEADER), *rows, BROKEN]))


def wide_header() -> bytes:
    return build(sheet([row_xml(1, [f"c{i}" for i in range(limits.MAX_COLUMNS + 1)]), BROKEN]))


LAUGHS = b'<!DOCTYPE worksheet [<!ENTITY a "ndpr-oxide"><!ENTITY b "&a;&a;"><!ENTITY c "&b;&b;">]>'


def entities_in_sheet() -> bytes:
    """Entities that expand to a material code: accepted and written before the fix."""
    return build(
        sheet(
            [
                row_xml(1, HEADER),
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>&a;</t></is></c>'
                b'<c r="B2"><v>2027</v></c><c r="C2"><v>4</v></c>'
                b'<c r="D2" t="inlineStr"><is><t>t</t></is></c></row>',
            ],
            prolog=LAUGHS,
        )
    )


def entities_in_shared_strings() -> bytes:
    return build(
        sheet([row_xml(1, HEADER), good_row(2)]),
        strings=shared_strings(["x"], prolog=LAUGHS.replace(b"worksheet", b"sst")),
    )


def external_entity() -> bytes:
    return build(
        sheet(
            [
                row_xml(1, HEADER),
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>&x;</t></is></c></row>',
            ],
            prolog=b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        )
    )


def entities_in_an_unread_part() -> bytes:
    app = (
        b'<?xml version="1.0"?><!DOCTYPE Properties [<!ENTITY a "aaaaaaaaaa">]>'
        b"<Properties>&a;</Properties>"
    )
    return build(sheet([row_xml(1, HEADER), good_row(2)]), parts={"docProps/app.xml": app})


def doctype_in_the_workbook() -> bytes:
    from .xlsx_files import WORKBOOK

    workbook = WORKBOOK.replace(b"?>\n", b'?>\n<!DOCTYPE workbook [<!ENTITY a "b">]>', 1)
    return build(sheet([row_xml(1, HEADER), good_row(2)]), parts={"xl/workbook.xml": workbook})


def not_a_zip() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 200


HOSTILE = {
    "wide row": (wide_row, "cells"),
    "deflate bomb": (deflate_bomb, "unpacks to"),
    "long shared string": (long_shared_string, "characters"),
    "long inline text": (long_inline_text, "characters"),
    "shared-string bomb": (many_shared_strings, "distinct texts"),
    "millions of blank rows": (many_blank_rows, "rows"),
    "too many rows": (many_rows, "rows"),
    "a row beyond the limit": (far_row, "rows"),
    "too many cells": (many_cells, "cells"),
    "too many columns": (wide_header, "columns"),
    "entities in the sheet": (entities_in_sheet, "DOCTYPE"),
    "entities in shared strings": (entities_in_shared_strings, "DOCTYPE"),
    "external entity": (external_entity, "DOCTYPE"),
    "entities in an unread part": (entities_in_an_unread_part, "DOCTYPE"),
    "DOCTYPE in the workbook": (doctype_in_the_workbook, "DOCTYPE"),
    "damaged archive": (not_a_zip, "not a readable XLSX"),
}


@pytest.fixture
def small_limits(settings):
    """A row limit of 50 keeps the generated files small; every bound scales with it."""
    settings.DEMAND_FILE_MAX_ROWS = 50


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_xlsx_is_a_400_with_a_file_error_through_the_api(
    api, open_round, member_a, small_limits, kind
):
    make, words = HOSTILE[kind]
    response = api_upload(api, open_round, member_a, make())
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["row"] is None, errors
    assert words in errors[0]["message"]
    assert "readable" not in errors[0]["message"] or kind == "damaged archive"
    assert not DemandLine.objects.exists()


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_xlsx_is_refused_on_the_page_and_keeps_nothing(
    login, open_round, member_a, small_limits, kind
):
    make, words = HOSTILE[kind]
    upload = page_upload(login, open_round, member_a, make())
    assert upload.state == UploadState.REJECTED and bytes(upload.content) == b""
    assert len(upload.errors) == 1 and upload.errors[0]["row"] is None
    assert words in upload.errors[0]["messages"]["en"]
    assert not DemandLine.objects.exists()


def test_a_real_sized_wide_row_is_refused_before_it_is_read(api, open_round, member_a):
    """The issue's file: one row of two million cells in a few dozen KB."""
    cells = (b'<c r="B2"><v>1</v></c>' * 1000 for _ in range(2000))
    data = build(sheet([row_xml(1, HEADER), b'<row r="2">', *cells, b"</row>"]))
    assert len(data) < 200_000
    response = api_upload(api, open_round, member_a, data)
    assert response.status_code == 400
    assert "unpacks to" in response.json()["errors"][0]["message"]


def test_the_archive_is_checked_before_it_is_unpacked(api, open_round, member_a, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", 4096)
    data = demand_xlsx([HEADER] + [["ndpr-oxide", f"2027-Q{q}", 4, "t"] for q in (1, 2, 3, 4)] * 20)
    # Every part is damaged, so only the table of contents can be read.
    damaged = bytearray(data)
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        start = info.header_offset + 30 + len(info.filename)
        damaged[start : start + 4] = b"\xff\xff\xff\xff"
    response = api_upload(api, open_round, member_a, bytes(damaged))
    assert response.status_code == 400
    assert "unpacks to" in response.json()["errors"][0]["message"]


def test_the_same_row_without_entities_is_taken(api, open_round, member_a):
    """The row of ``entities_in_sheet`` spelt out is a valid file: the refusal above is about
    the DOCTYPE, not about the row."""
    data = build(sheet([row_xml(1, HEADER), row_xml(2, ["ndpr-oxide", 2027, 4, "t"])]))
    assert api_upload(api, open_round, member_a, data).status_code == 201
    assert DemandLine.objects.count() == 1


# ---- CSV bounds ------------------------------------------------------------------------------


def test_csv_with_too_many_columns_is_refused(api, open_round, member_a):
    data = csv_bytes(",".join(f"c{i}" for i in range(limits.MAX_COLUMNS + 1)) + "\n1\n")
    response = api_upload(api, open_round, member_a, data, name="demand.csv")
    assert response.status_code == 400
    assert "columns" in response.json()["errors"][0]["message"]


def test_csv_reading_stops_at_the_row_bound(api, open_round, member_a, small_limits):
    blank = "\n" * (limits.max_row_elements() + 1)
    data = csv_bytes("material,period,quantity,unit\n" + blank + "a,b,c,d,e,f,g,h\n")
    response = api_upload(api, open_round, member_a, data, name="demand.csv")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["row"] is None and "rows" in errors[0]["message"]


# ---- error reports stay small ----------------------------------------------------------------


def test_errors_are_capped_at_100_with_a_count_of_the_rest(api, open_round, member_a):
    rows = "".join(f"nope-{i},2027,0,t\n" for i in range(1500))
    data = csv_bytes("material,period,quantity,unit\n" + rows)
    response = api_upload(api, open_round, member_a, data, name="demand.csv")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 101
    assert [e["row"] for e in errors[:4]] == [2, 2, 3, 3]  # material and quantity of each row
    summary = errors[-1]
    assert summary["row"] is None and summary["more"] == 3000 - 100
    assert "2,900 more errors" in summary["message"]
    assert error_total(errors) == 3000


def test_a_long_value_is_quoted_cut(api, open_round, member_a):
    long = "x" * 900
    data = demand_xlsx([HEADER] + [[long, year, 4, "t"] for year in ("2027", "2028", "2029")])
    response = api_upload(api, open_round, member_a, data)
    errors = response.json()["errors"]
    assert response.status_code == 400 and len(errors) == 3
    assert all(len(e["message"]) < 200 and "xxx…" in e["message"] for e in errors)


def test_a_small_file_cannot_make_a_large_error_report(api, login, open_round, member_a):
    """The issue's 12 KB file: one long shared string in every cell of 10,000 rows (four
    errors a row, and every row after the first repeats its key)."""
    # Rows and cells without their optional "r": numbered in order, as the format allows.
    rows = [
        b'<row><c t="s"><v>0</v></c><c t="s"><v>0</v></c><c t="s"><v>0</v></c>'
        b'<c t="s"><v>0</v></c></row>'
    ] * 10_000
    data = build(
        sheet([row_xml(1, HEADER), *rows]), strings=shared_strings(["z" * limits.MAX_TEXT_LENGTH])
    )
    assert len(data) < 100_000
    response = api_upload(api, open_round, member_a, data)
    assert response.status_code == 400 and len(response.content) < 40_000
    assert error_total(response.json()["errors"]) == 49_999
    upload = page_upload(login, open_round, member_a, data)
    assert len(json.dumps(upload.errors)) < 40_000 and error_total(upload.errors) == 49_999
    page = login(member_a).get(f"/rounds/{open_round.pk}/demand/uploads/{upload.pk}/")
    assert "refused: 49,999 errors" in page.content.decode()


def test_formula_errors_are_capped_too(api, open_round, member_a):
    rows = (
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>ndpr-oxide</t></is></c>'
        f'<c r="B{n}"><v>2027</v></c><c r="C{n}"><f>1+1</f></c></row>'.encode()
        for n in range(2, 302)
    )
    response = api_upload(api, open_round, member_a, build(sheet([row_xml(1, HEADER), *rows])))
    errors = response.json()["errors"]
    assert response.status_code == 400 and len(errors) == 101
    assert errors[0] == {"row": 2, "column": "quantity", "message": errors[0]["message"]}
    assert "C2" in errors[0]["message"] and errors[-1]["more"] == 200


# ---- purge -----------------------------------------------------------------------------------


def test_refused_uploads_are_purged_after_two_days(open_round, member_a):
    import datetime

    from django.utils import timezone

    upload = upload_services.upload_prepare(
        round=open_round, actor=member_a, data=csv_bytes("x\n1\n"), filename="bad.csv"
    )
    assert upload.state == UploadState.REJECTED
    assert upload_services.upload_purge_stale() == 0
    DemandUpload.objects.filter(pk=upload.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    assert upload_services.upload_purge_stale() == 1
    assert not DemandUpload.objects.exists()
