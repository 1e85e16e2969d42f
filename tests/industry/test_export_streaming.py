"""The demand exports stream (CSV in pieces, a write-only workbook from a database cursor) and
give the same content as the former in-memory files; their queries do not grow with the lines."""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from industry import exports
from industry.models import DemandLine


def old_xlsx(sheets) -> bytes:
    """The workbook as it was written before (a normal workbook, saved whole)."""
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(
                [float(v) if isinstance(v, Decimal) else exports.safe_cell(v) for v in row]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def old_export_rows(lines, *, with_firm: bool) -> list[list]:
    """The rows as they were built before (from model objects)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    rows = []
    for line in lines:
        status = (
            _("withdrawn")
            if line.withdrawn_at
            else (_("excluded") if line.excluded else _("active"))
        )
        row = [
            line.material.code,
            line.period,
            line.quantity,
            line.unit,
            line.commitment,
            line.grade,
            str(line.delivery_country),
            line.quantity_t,
            status,
            line.exclusion_reason,
            line.entered_by.get_full_name() if line.entered_by_id else "",
            timezone.localtime(line.updated_at).isoformat(timespec="seconds"),
        ]
        rows.append(([line.organisation.name] + row) if with_firm else row)
    return rows


@pytest.fixture
def many_lines(open_round, member_a, member_b, enter):
    periods = [f"{y}-Q{q}" for y in (2027, 2028, 2029) for q in (1, 2, 3, 4)]
    for material in ("lithium-hydroxide", "ndpr-oxide"):
        for i, period in enumerate(periods):
            enter(open_round, member_a, material=material, period=period, quantity=f"{i + 1}.5")
    enter(open_round, member_a, grade="=1+1", quantity="7")
    enter(open_round, member_b, material="cobalt-sulphate", quantity="3")
    line = DemandLine.objects.filter(organisation=member_a.organisation).first()
    DemandLine.objects.filter(pk=line.pk).update(excluded=True, exclusion_reason="-Doppelt")
    last = DemandLine.objects.filter(organisation=member_a.organisation).order_by("-pk").first()
    DemandLine.objects.filter(pk=last.pk).update(withdrawn_at=timezone.now())
    return DemandLine.objects.filter(round=open_round).count()


def _rows(round, user, with_firm):
    from industry.lines.selectors import lines_visible_to

    lines = lines_visible_to(user, round=round, include_withdrawn=with_firm).order_by(
        "organisation__name", "material__sort_order", "first_quarter", "is_year", "pk"
    )
    rows = old_export_rows(lines, with_firm=with_firm)
    assert exports.export_rows(lines, with_firm=with_firm) == rows
    return exports.export_header(with_firm=with_firm), rows


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("who", ["member_a", "desk"])
def test_same_content_as_before(request, login, open_round, many_lines, who, language):
    from django.utils import translation

    user = request.getfixturevalue(who)
    client = login(user)
    with translation.override(language):
        header, rows = _rows(open_round, user, with_firm=who == "desk")
        expected_csv = exports.write_csv(header, rows)
        expected_book = load_workbook(io.BytesIO(old_xlsx([("Demand", header, rows)])))
    response = client.get(
        f"/rounds/{open_round.pk}/demand/export.csv", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.streaming and response.getvalue() == expected_csv
    # The member's export leaves out its withdrawn line and the other firm's; the desk's has all.
    assert len(rows) == (many_lines if who == "desk" else many_lines - 2)
    response = client.get(
        f"/rounds/{open_round.pk}/demand/export.xlsx", HTTP_ACCEPT_LANGUAGE=language
    )
    book = load_workbook(io.BytesIO(response.getvalue()))
    got = list(book.worksheets[0].iter_rows(values_only=True))
    assert got == list(expected_book.worksheets[0].iter_rows(values_only=True))
    assert book.worksheets[0]["A1"].font.bold


def test_csv_in_pieces_is_the_whole_file():
    header = ["a", "b"]
    rows = [[f"x{i}", Decimal(i) / 8] for i in range(2500)]
    chunks = list(exports.csv_chunks(header, rows, rows_per_chunk=1000))
    assert len(chunks) == 3 and b"".join(chunks) == exports.write_csv(header, rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_the_lines(
    login, open_round, member_a, enter, fmt, django_assert_num_queries
):
    client = login(member_a)
    url = f"/rounds/{open_round.pk}/demand/export.{fmt}"
    client.get(url).getvalue()  # warm the session
    # session, user, the round, the count (inline or a job); the lines then come in one COPY
    # that PostgreSQL formats, in our time zone set in a savepoint that is rolled back (four
    # statements around the COPY). The same with 12 lines more.
    queries = 8
    with django_assert_num_queries(queries):
        client.get(url).getvalue()
    for i in range(1, 13):
        enter(open_round, member_a, period=f"{2027 + (i - 1) // 4}-Q{(i - 1) % 4 + 1}")
    with django_assert_num_queries(queries):
        response = client.get(url)
        content = response.getvalue()
    assert response.status_code == 200 and len(content) > 0


def test_grid_queries_do_not_grow_with_the_lines(
    login, open_round, member_a, enter, django_assert_num_queries
):
    client = login(member_a)
    url = f"/rounds/{open_round.pk}/demand/"
    enter(open_round, member_a)
    client.get(url)  # warm the session
    with django_assert_num_queries(GRID_QUERIES):
        assert client.get(url).status_code == 200
    for i in range(1, 21):
        enter(
            open_round,
            member_a,
            material="ndpr-oxide",
            period=f"{2027 + (i - 1) // 4}-Q{(i - 1) % 4 + 1}",
        )
    with django_assert_num_queries(GRID_QUERIES):
        assert client.get(url).status_code == 200


# The member's grid, whatever the number of lines (pytest lists the queries when it changes).
GRID_QUERIES = 9
