"""Pages of rounds, the member's grid (htmx), upload preview and commit, exports, screening, and
tenancy through every page path."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from industry.lines import services as line_services
from industry.models import DemandLine, DemandRound, DemandUpload, RoundState
from industry.rounds import services as round_services
from industry.upload import services as upload_services

from .conftest import csv_bytes

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_line(**values):
    data = {
        "new-material": "lithium-hydroxide",
        "new-period": "2027",
        "new-quantity": "1.500,5",
        "new-unit": "t",
        "new-commitment": "firm",
        "new-grade": "",
        "new-delivery_country": "DE",
    }
    data.update({f"new-{k}": v for k, v in values.items()})
    return data


def edit_data(line, **values):
    prefix = f"line-{line.pk}"
    data = {
        "material": line.material.code,
        "period": line.period,
        "quantity": str(line.quantity).replace(".", ","),
        "unit": line.unit,
        "commitment": line.commitment,
        "grade": line.grade,
        "delivery_country": str(line.delivery_country),
        "version": line.version,
    }
    data.update(values)
    return {f"{prefix}-{k}": v for k, v in data.items()}


# ---- rounds ----------------------------------------------------------------------------------


def test_round_list_per_role(login, make_round, desk, member_a, ministry):
    draft = make_round(state="draft", title="Entwurfsrunde")
    make_round(title="Offene Runde")
    desk_page = login(desk).get("/rounds/").content.decode()
    assert (
        "Entwurfsrunde" in desk_page
        and "Offene Runde" in desk_page
        and 'data-testid="round-create"' in desk_page
    )
    member_page = login(member_a).get("/rounds/").content.decode()
    assert (
        "Offene Runde" in member_page
        and "Entwurfsrunde" not in member_page
        and "data-countdown" in member_page
    )
    assert "Entwurfsrunde" not in login(ministry).get("/rounds/").content.decode()
    assert login(member_a).get(f"/rounds/{draft.pk}/").status_code == 404


def test_agency_and_ministry_see_the_round_but_no_line_data(
    login, open_round, line_a, analyst, ministry
):
    for user in (analyst, ministry):
        page = login(user).get(f"/rounds/{open_round.pk}/").content.decode()
        assert open_round.title in page
        assert (
            "Firm A GmbH" not in page
            and 'data-testid="line-count"' not in page
            and "Totals per material" not in page
        )
        assert login(user).get(f"/rounds/{open_round.pk}/demand/").status_code == 403
        assert login(user).get(f"/rounds/{open_round.pk}/demand/export.csv").status_code == 403


def test_desk_creates_edits_opens_and_closes_a_round(login, desk, materials, member_a):
    client = login(desk)
    assert client.get("/rounds/new/").status_code == 200
    data = {
        "title": "Runde aus dem Formular",
        "description": "",
        "materials": [m.pk for m in materials.values()],
        "first_period": "2027-Q1",
        "last_period": "2031-Q4",
        "opens_at": "2026-01-01T08:00",
        "closes_at": (timezone.localtime() + datetime.timedelta(days=10)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "min_quantity_t": "0,5",
        "terms": "Vertraulich.",
    }
    bad = client.post("/rounds/new/", {**data, "last_period": "2026-Q1"})
    assert bad.status_code == 200 and not DemandRound.objects.exists()
    response = client.post("/rounds/new/", data)
    round = DemandRound.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rounds/{round.pk}/"
    assert (
        str(round.min_quantity_t) == "0.500000" and round.opens_at.hour == 7
    )  # 08:00 Berlin is 07:00 UTC in winter
    assert (
        client.post(f"/rounds/{round.pk}/edit/", {**data, "title": "Umbenannt"}).status_code == 302
    )
    client.post(f"/rounds/{round.pk}/open/")
    round.refresh_from_db()
    assert round.title == "Umbenannt" and round.state == RoundState.OPEN
    page = client.get(f"/rounds/{round.pk}/").content.decode()
    assert 'data-testid="round-close"' in page
    client.post(f"/rounds/{round.pk}/close/")
    round.refresh_from_db()
    assert round.state == RoundState.CLOSED
    assert login(member_a).post(f"/rounds/{round.pk}/close/").status_code == 403


def test_terms_step(login, make_round, member_a):
    round = make_round()
    client = login(member_a)
    assert 'data-testid="accept-terms-link"' in client.get(f"/rounds/{round.pk}/").content.decode()
    client.post(f"/rounds/{round.pk}/terms/", {})
    assert not round.acceptances.exists()
    response = client.post(f"/rounds/{round.pk}/terms/", {"accept": "yes"})
    assert response.status_code == 302 and round.acceptances.get().accepted_by == member_a


# ---- the grid --------------------------------------------------------------------------------


def test_grid_adds_a_line_with_htmx_and_german_numbers(login, open_round, member_a):
    client = login(member_a)
    response = client.post(
        f"/rounds/{open_round.pk}/demand/", new_line(), HTTP_ACCEPT_LANGUAGE="de", **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    line = DemandLine.objects.get()
    assert str(line.quantity) == "1500.500000" and line.commitment == "firm"
    assert '<form id="new-line"' in html  # the form itself, emptied for the next line
    assert '<section id="lines-table" class="card card--flush" hx-swap-oob="true"' in html
    assert '<div id="totals" class="card card--flush" hx-swap-oob="true"' in html
    assert (
        f'id="line-{line.pk}"' in html and "1.500,5" in html
    )  # the row and its total, in German notation
    replaced = client.post(
        f"/rounds/{open_round.pk}/demand/",
        new_line(quantity="40"),
        HTTP_ACCEPT_LANGUAGE="en",
        **HTMX,
    ).content.decode()
    assert "replaced the existing line" in replaced
    assert DemandLine.objects.get().quantity == 40


def test_grid_shows_messages_next_to_the_field(login, open_round, member_a):
    html = (
        login(member_a)
        .post(f"/rounds/{open_round.pk}/demand/", new_line(quantity="0", period="2040"), **HTMX)
        .content.decode()
    )
    assert "id_new-quantity_error" in html and "id_new-period_error" in html
    assert 'aria-invalid="true"' in html
    assert not DemandLine.objects.exists()


def test_grid_edit_and_conflict_with_a_colleague(
    login, open_round, line_a, member_a, colleague_a, client
):
    edit_row = (
        login(member_a)
        .get(f"/rounds/{open_round.pk}/demand/{line_a.pk}/edit/", HTTP_ACCEPT_LANGUAGE="de", **HTMX)
        .content.decode()
    )
    assert f'<form id="edit-line-{line_a.pk}"' in edit_row and "is-editing" in edit_row
    stale = edit_data(line_a, quantity="41")
    # the colleague saves first
    line_services.line_update(
        line=line_a,
        actor=colleague_a,
        expected_version=1,
        material=line_a.material,
        period="2027",
        quantity=line_a.quantity + 5,
        unit="t",
    )
    html = (
        login(member_a)
        .post(
            f"/rounds/{open_round.pk}/demand/{line_a.pk}/edit/",
            stale,
            HTTP_ACCEPT_LANGUAGE="en",
            **HTMX,
        )
        .content.decode()
    )
    assert (
        'data-testid="line-conflict"' in html
        and colleague_a.get_full_name() in html
        and "meanwhile" in html
    )
    line_a.refresh_from_db()
    assert line_a.quantity == 45 and line_a.version == 2
    # the form now carries the colleague's version: saving again works
    ok = login(member_a).post(
        f"/rounds/{open_round.pk}/demand/{line_a.pk}/edit/",
        edit_data(line_a, quantity="41"),
        HTTP_ACCEPT_LANGUAGE="en",
        **HTMX,
    )
    assert "Saved" in ok.content.decode()
    line_a.refresh_from_db()
    assert line_a.quantity == 41 and line_a.version == 3


def test_grid_withdraw(login, open_round, line_a, member_a):
    html = (
        login(member_a)
        .post(f"/rounds/{open_round.pk}/demand/{line_a.pk}/withdraw/", {"version": 1}, **HTMX)
        .content.decode()
    )
    assert f'id="line-{line_a.pk}"' not in html and "withdrawn" in html
    line_a.refresh_from_db()
    assert line_a.withdrawn_at is not None


def test_grid_after_the_deadline_shows_a_clear_message(login, open_round, member_a):
    DemandRound.objects.filter(pk=open_round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    client = login(member_a)
    html = client.post(f"/rounds/{open_round.pk}/demand/", new_line(), **HTMX).content.decode()
    assert "closed at" in html and not DemandLine.objects.exists()
    page = client.get(f"/rounds/{open_round.pk}/demand/").content.decode()
    assert 'id="new-line"' not in page


def test_member_sees_the_exclusion_and_its_reason(login, open_round, line_a, desk, member_a):
    line_services.line_exclude(line=line_a, actor=desk, reason="Unplausibel hoch")
    page = login(member_a).get(f"/rounds/{open_round.pk}/demand/").content.decode()
    assert "Unplausibel hoch" in page and "badge--excluded" in page


# ---- upload ----------------------------------------------------------------------------------


def test_upload_preview_then_commit(login, open_round, member_a, line_a):
    client = login(member_a)
    data = csv_bytes(
        "material;period;quantity;unit\nlithium-hydroxide;2027;55;t\nndpr-oxide;2028-Q1;1.500;kg\n"
    )
    response = client.post(f"/rounds/{open_round.pk}/demand/upload/", {"file": io.BytesIO(data)})
    upload = DemandUpload.objects.get()
    assert response["Location"] == f"/rounds/{open_round.pk}/demand/uploads/{upload.pk}/"
    preview = client.get(response["Location"]).content.decode()
    assert 'data-testid="upload-commit"' in preview and "replace" in preview
    assert DemandLine.objects.count() == 1  # nothing written by the preview
    client.post(response["Location"])
    assert DemandLine.objects.count() == 2
    line_a.refresh_from_db()
    assert line_a.quantity == 55
    upload.refresh_from_db()
    assert (upload.state, upload.created_count, upload.replaced_count) == ("committed", 1, 1)
    assert client.post(response["Location"]).status_code == 302  # a second commit changes nothing
    assert DemandLine.objects.count() == 2


def test_rejected_upload_lists_errors_and_offers_a_report(login, open_round, member_a):
    client = login(member_a)
    data = csv_bytes("material,period,quantity,unit\nlithium-hydroxide,2027,40,t\nxx,2027,0,t\n")
    location = client.post(
        f"/rounds/{open_round.pk}/demand/upload/",
        {"file": io.BytesIO(data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )["Location"]
    page = client.get(location, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        'data-testid="upload-errors"' in page
        and "Unknown material xx." in page
        and 'data-testid="upload-commit"' not in page
    )
    report = client.get(location + "errors.csv")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    rows = list(
        csv.reader(io.StringIO(report.content.decode("utf-8-sig")))
    )  # English: comma-separated
    assert rows[0] == ["row", "column", "message"]
    assert [r[:2] for r in rows[1:]] == [["3", "material"], ["3", "quantity"]]
    assert not DemandLine.objects.exists()


def test_a_refused_files_errors_are_read_in_the_readers_language(
    login, open_round, member_a, colleague_a
):
    """Uploaded in German, the error page and its report read in English once the reader
    switches: every word of the errors, numbers in the reader's notation (before, the errors
    stayed in the uploader's German under an English page)."""
    client = login(member_a)
    data = csv_bytes(
        "material,period,quantity,unit\nxx,2027,40,t\nlithium-hydroxide,2027,1234.5678901,t\n"
    )
    location = client.post(
        f"/rounds/{open_round.pk}/demand/upload/",
        {"file": io.BytesIO(data)},
        HTTP_ACCEPT_LANGUAGE="de",
    )["Location"]
    german = client.get(location, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Unbekanntes Material xx." in german and "1.234,5678901" in german
    for reader in (client, login(colleague_a)):
        english = reader.get(location, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Unknown material xx." in english and "1,234.5678901" in english
        assert "Unbekanntes Material" not in english and "1.234,5678901" not in english
        report = reader.get(location + "errors.csv", HTTP_ACCEPT_LANGUAGE="en")
        messages = [r[2] for r in csv.reader(io.StringIO(report.content.decode("utf-8-sig")))]
        assert messages[1] == "Unknown material xx." and "1,234.5678901" in messages[2]


def test_templates_list_the_round_materials(login, open_round, member_a):
    client = login(member_a)
    text = client.get(
        f"/rounds/{open_round.pk}/demand/template.csv", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header == [
        "material",
        "period",
        "quantity",
        "unit",
        "commitment",
        "grade",
        "delivery_country",
    ]
    assert {r[0] for r in rows} == {m.code for m in open_round.materials.all()}
    from openpyxl import load_workbook

    book = load_workbook(
        io.BytesIO(client.get(f"/rounds/{open_round.pk}/demand/template.xlsx").content)
    )
    assert [c.value for c in book.worksheets[0][1]][:4] == [
        "material",
        "period",
        "quantity",
        "unit",
    ]
    assert {row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)} == {
        m.code for m in open_round.materials.all()
    }


def test_export_neutralises_formulas(login, open_round, member_a, member_b, enter, desk):
    enter(open_round, member_a, grade='=HYPERLINK("http://evil")')
    enter(open_round, member_a, material="ndpr-oxide", grade="@SUM(A1)")
    enter(open_round, member_b, material="cobalt-sulphate", grade="+1", quantity="3")
    member_csv = login(member_a).get(
        f"/rounds/{open_round.pk}/demand/export.csv", HTTP_ACCEPT_LANGUAGE="de"
    )
    member_csv = member_csv.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(member_csv), delimiter=";"))
    grades = {r[5] for r in rows[1:]}
    assert grades == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}
    assert "cobalt" not in member_csv  # only its own lines
    from openpyxl import load_workbook

    book = load_workbook(
        io.BytesIO(login(desk).get(f"/rounds/{open_round.pk}/demand/export.xlsx").getvalue())
    )
    values = [row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(r[0] for r in values) == ["Firm A GmbH", "Firm A GmbH", "Firm B AG"]
    assert all(
        not str(v).startswith(("=", "+", "-", "@"))
        for row in values
        for v in row
        if isinstance(v, str)
    )


# ---- screening -------------------------------------------------------------------------------


def test_screening_filters_flags_and_excludes(
    login, open_round, desk, member_a, member_b, make_user, make_org, enter
):
    others = [make_user("member", org=make_org(f"Firma {i}")) for i in range(3)]
    for user in others:
        round_services.terms_accept(round=open_round, actor=user)
        enter(open_round, user, quantity="10")
    enter(open_round, member_a, quantity="400")  # 40 times the median
    line_b, _ = enter(open_round, member_b, quantity="12")
    client = login(desk)
    page = client.get(f"/rounds/{open_round.pk}/screening/?flagged=1").content.decode()
    assert page.count('data-testid="outlier-flag"') == 1
    # A year line counts a quarter of its tonnes: the median is 2.5 t, the outlier 100 t.
    page = client.get(
        f"/rounds/{open_round.pk}/screening/?flagged=1", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "40-facher Median des Materials in dieser Runde (2,5\u00a0t je Quartal)" in page
    assert (
        '<th scope="row" class="keep">Firm A GmbH</th>' in page
        and '<th scope="row" class="keep">Firm B AG</th>' not in page
    )
    page = client.get(
        f"/rounds/{open_round.pk}/screening/?firm={member_b.organisation_id}&sort=-quantity_t"
    ).content.decode()
    assert (
        '<th scope="row" class="keep">Firm B AG</th>' in page
        and '<th scope="row" class="keep">Firm A GmbH</th>' not in page
    )
    response = client.post(
        f"/rounds/{open_round.pk}/screening/{line_b.pk}/exclude/", {"reason": "Doppelt gemeldet"}
    )
    assert response.status_code == 302
    line_b.refresh_from_db()
    assert line_b.excluded and line_b.exclusion_reason == "Doppelt gemeldet"
    client.post(f"/rounds/{open_round.pk}/screening/{line_b.pk}/exclude/", {"reason": ""})
    client.post(f"/rounds/{open_round.pk}/screening/{line_b.pk}/restore/")
    line_b.refresh_from_db()
    assert not line_b.excluded
    assert login(member_a).get(f"/rounds/{open_round.pk}/screening/").status_code == 403


# ---- tenancy through every page path ---------------------------------------------------------


@pytest.mark.parametrize("outsider", ["member_b", "analyst", "ministry"])
def test_outsiders_get_404_or_403_on_a_firms_line_and_upload(
    login, open_round, member_a, line_a, outsider, request
):
    user = request.getfixturevalue(outsider)
    upload = upload_services.upload_prepare(
        round=open_round,
        actor=member_a,
        data=csv_bytes("material,period,quantity,unit\nxx,2027,1,t\n"),
        filename="a.csv",
    )
    client = login(user)
    paths = [
        ("get", f"/rounds/{open_round.pk}/demand/{line_a.pk}/edit/"),
        ("post", f"/rounds/{open_round.pk}/demand/{line_a.pk}/edit/"),
        ("post", f"/rounds/{open_round.pk}/demand/{line_a.pk}/withdraw/"),
        ("get", f"/rounds/{open_round.pk}/demand/uploads/{upload.pk}/"),
        ("post", f"/rounds/{open_round.pk}/demand/uploads/{upload.pk}/"),
        ("get", f"/rounds/{open_round.pk}/demand/uploads/{upload.pk}/errors.csv"),
    ]
    expected = 404 if outsider == "member_b" else 403
    for method, path in paths:
        assert getattr(client, method)(path).status_code == expected, path
    if outsider == "member_b":
        grid = client.get(f"/rounds/{open_round.pk}/demand/").content.decode()
        assert f"line-{line_a.pk}" not in grid and "1 line" not in grid
        exported = (
            client.get(f"/rounds/{open_round.pk}/demand/export.csv").getvalue().decode("utf-8-sig")
        )
        assert exported.strip().count("\n") == 0  # the header only
    line_a.refresh_from_db()
    assert line_a.withdrawn_at is None and line_a.version == 1


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_the_lines(login, open_round, member_a, desk, enter):
    enter(open_round, member_a, period="2027")
    line, _ = enter(open_round, member_a, period="2028")
    line_services.line_exclude(line=line, actor=desk, reason="Prüfen")
    # Both materials from the start: the screening's page reads one query per material it shows.
    enter(open_round, member_a, material="ndpr-oxide", period="2028-Q4", quantity="2")
    member = login(member_a)
    grid = f"/rounds/{open_round.pk}/demand/"
    screening = f"/rounds/{open_round.pk}/screening/"
    before_grid = _queries(member, grid)
    trustee = login(desk)
    # The first view after a change stores the statistics (docs/screening.md).
    trustee.get(screening)
    before_screening = _queries(trustee, screening)
    for year in range(2029, 2032):
        for quarter in (1, 2, 3, 4):
            enter(
                open_round,
                member_a,
                material="ndpr-oxide",
                period=f"{year}-Q{quarter}",
                quantity="2",
            )
    line_services.line_restore(line=line, actor=desk)
    member = login(member_a)
    assert _queries(member, grid) == before_grid
    trustee = login(desk)
    page = trustee.get(screening).content.decode()
    assert "2 earlier versions" in page  # excluded, then restored
    assert _queries(trustee, screening) == before_screening


def test_export_times_are_berlin_time(login, open_round, member_a, line_a):
    updated = datetime.datetime(2027, 1, 15, 8, 30, tzinfo=datetime.UTC)
    DemandLine.objects.filter(pk=line_a.pk).update(updated_at=updated)
    text = (
        login(member_a)
        .get(f"/rounds/{open_round.pk}/demand/export.csv")
        .getvalue()
        .decode("utf-8-sig")
    )
    header, row = list(csv.reader(io.StringIO(text)))
    assert row[header.index("updated_at")] == "2027-01-15T09:30:00+01:00"  # as the pages show it


def test_upload_needs_the_terms_and_an_open_round_before_the_file_is_kept(
    login, make_round, member_a
):
    round = make_round()  # member_a's firm has not accepted the terms
    client = login(member_a)
    data = csv_bytes("material,period,quantity,unit\nndpr-oxide,2027,4,t\n")
    response = client.post(f"/rounds/{round.pk}/demand/upload/", {"file": io.BytesIO(data)})
    assert response.status_code == 302 and response["Location"] == f"/rounds/{round.pk}/demand/"
    assert not DemandUpload.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Accept the round&#x27;s participation terms" in page
    round_services.terms_accept(round=round, actor=member_a)
    DemandRound.objects.filter(pk=round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.post(f"/rounds/{round.pk}/demand/upload/", {"file": io.BytesIO(data)})
    assert not DemandUpload.objects.exists()
    assert "closed at" in client.get(response["Location"]).content.decode()


def test_screening_pages_load_only_the_lines_shown(login, open_round, member_a, desk):
    rows = "".join(
        f"ndpr-oxide,{year}-Q{quarter},{year - 2026},t,spec {grade}\n"
        for year in range(2027, 2032)
        for quarter in (1, 2, 3, 4)
        for grade in range(6)
    )  # 120 lines
    data = csv_bytes("material,period,quantity,unit,grade\n" + rows + "ndpr-oxide,2031,900,t,\n")
    assert upload_services.demand_import(round=open_round, actor=member_a, data=data).created == 121
    client = login(desk)
    url = f"/rounds/{open_round.pk}/screening/"
    last = client.get(url + "?page=5").content.decode()  # 25 lines a page
    assert "121 lines" in last and last.count('<tr id="screen-') == 21
    assert "Page 5 of 5" in last
    flagged = client.get(url + "?flagged=1&sort=-quantity_t").content.decode()
    assert flagged.count('<tr id="screen-') == 1 and "1 line" in flagged
    assert flagged.count('data-testid="outlier-flag"') == 1


@pytest.mark.postgres
def test_grid_ids_stay_plain_numbers_in_german(login, open_round, member_a):
    """An id of 1,000 or more is written without a thousands separator: `line-12.345` in German
    would break the row's htmx target and the screening filter."""
    from django.db import connection

    table = DemandLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 12344)")  # noqa: S608
    html = (
        login(member_a)
        .post(f"/rounds/{open_round.pk}/demand/", new_line(), HTTP_ACCEPT_LANGUAGE="de", **HTMX)
        .content.decode()
    )
    line = DemandLine.objects.get()
    assert line.pk >= 12345 and f'id="line-{line.pk}"' in html
    edit = (
        login(member_a)
        .get(f"/rounds/{open_round.pk}/demand/{line.pk}/edit/", HTTP_ACCEPT_LANGUAGE="de", **HTMX)
        .content.decode()
    )
    assert f'<form id="edit-line-{line.pk}"' in edit


def test_the_grid_without_javascript_starts_with_the_linked_error_summary(
    login, open_round, member_a
):
    # The page as a whole (no htmx): base.html's error summary links each field (docs/forms.md);
    # a material named in English is read like its code.
    html = (
        login(member_a)
        .post(
            f"/rounds/{open_round.pk}/demand/",
            new_line(material="Lithium hydroxide monohydrate", quantity="0", period="2040"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        .content.decode()
    )
    assert "There is a problem" in html
    assert 'href="#id_new-quantity"' in html and 'href="#id_new-period"' in html
    assert 'href="#id_new-material"' not in html
    assert not DemandLine.objects.exists()
