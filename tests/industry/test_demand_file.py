"""Every accepted and every refused demand file of issue 3, through the upload service: accepted
files write their lines; a refused file writes nothing and lists its errors by row and column."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation

from industry.lines import services as line_services
from industry.models import DemandLine
from industry.rounds import services as round_services
from industry.upload import services as upload_services
from industry.upload.validation import for_reader
from rohstoff.core.periods import Quarter

from .conftest import csv_bytes, xlsx_bytes
from .xlsx_files import HEADER, build, demand_xlsx, row_xml, sheet

GOOD_COMMA = """material,period,quantity,unit,commitment,grade,delivery_country
lithium-hydroxide,2027,40,t,firm,battery grade >= 56.5% LiOH,DE
dysprosium-oxide,2028-Q3,2000,kg,indicative,,
ndpr-oxide,2029,1500.5,lb,,,AT
"""

GERMAN_EXCEL = """material;period;quantity;unit;commitment;grade;delivery_country
lithium-hydroxide;2027;1.500,5;t;verbindlich;Batteriequalität;DE
dysprosium-oxide;2028-Q3;2,25;t;indikativ;;
ndpr-oxide;2029;12.000;kg;;;
"""


def upload(round, user, data, language="de"):
    with translation.override(language):
        return upload_services.demand_import(
            round=round, actor=user, data=data, filename="demand.csv"
        )


def lines(round, user):
    return {
        (line.material.code, line.period): line
        for line in DemandLine.objects.filter(round=round, organisation=user.organisation)
    }


# ---- accepted ----------------------------------------------------------------------------------


def test_comma_csv(open_round, member_a):
    result = upload(open_round, member_a, csv_bytes(GOOD_COMMA))
    assert (result.created, result.replaced, result.errors) == (3, 0, None)
    got = lines(open_round, member_a)
    lioh = got[("lithium-hydroxide", "2027")]
    assert (
        lioh.quantity_t == Decimal("40")
        and lioh.commitment == "firm"
        and lioh.grade == "battery grade >= 56.5% LiOH"
    )
    assert lioh.is_year and lioh.first_quarter == 2027 * 4
    dy = got[("dysprosium-oxide", "2028-Q3")]
    assert (
        dy.quantity_t == Decimal("2")
        and dy.commitment == "indicative"
        and str(dy.delivery_country) == "DE"
    )
    assert not dy.is_year and dy.first_quarter == 2028 * 4 + 2
    ndpr = got[("ndpr-oxide", "2029")]
    assert ndpr.quantity_t == Decimal("0.680615")  # 1500.5 lb = 680.61535... kg, 6 places half-even
    assert str(ndpr.delivery_country) == "AT"


def test_german_excel_semicolon_csv_with_decimal_comma_and_thousands_dots(open_round, member_a):
    result = upload(open_round, member_a, csv_bytes(GERMAN_EXCEL, "cp1252"))
    assert result.errors is None and result.created == 3
    got = lines(open_round, member_a)
    assert got[("lithium-hydroxide", "2027")].quantity == Decimal("1500.5")
    assert got[("lithium-hydroxide", "2027")].commitment == "firm"
    assert got[("lithium-hydroxide", "2027")].grade == "Batteriequalität"  # cp1252 read right
    assert got[("dysprosium-oxide", "2028-Q3")].quantity == Decimal("2.25")
    assert got[("ndpr-oxide", "2029")].quantity_t == Decimal("12")


def test_utf8_with_bom(open_round, member_a):
    data = b"\xef\xbb\xbf" + csv_bytes(GERMAN_EXCEL, "utf-8")
    result = upload(open_round, member_a, data)
    assert result.errors is None and result.created == 3
    assert lines(open_round, member_a)[("lithium-hydroxide", "2027")].grade == "Batteriequalität"


def test_columns_in_any_order_and_header_in_any_case(open_round, member_a):
    data = csv_bytes("UNIT,Quantity,Period,MATERIAL\nt,5,2030-Q1,cobalt-sulphate\n")
    result = upload(open_round, member_a, data)
    assert result.errors is None and result.created == 1
    line = lines(open_round, member_a)[("cobalt-sulphate", "2030-Q1")]
    assert line.quantity_t == Decimal("5") and line.commitment == "indicative"


def test_xlsx_with_typed_numbers(open_round, member_a):
    data = xlsx_bytes(
        [
            ["Material", "period", "quantity", "unit", "commitment"],
            ["lithium-hydroxide", 2027, 40, "t", "firm"],
            ["ndpr-oxide", "2028-Q2", 1500.25, "kg", ""],
        ]
    )
    result = upload(open_round, member_a, data)
    assert result.errors is None and result.created == 2
    got = lines(open_round, member_a)
    assert got[("lithium-hydroxide", "2027")].quantity == Decimal("40")
    assert got[("ndpr-oxide", "2028-Q2")].quantity_t == Decimal("1.50025")


def test_xlsx_formula_with_cached_value(open_round, member_a):
    data = xlsx_bytes(
        [["material", "period", "quantity", "unit"], ["lithium-hydroxide", "2027", "=20*2", "t"]],
        formulas_cached={"C2": "40"},
    )
    result = upload(open_round, member_a, data)
    assert result.errors is None and result.created == 1
    assert lines(open_round, member_a)[("lithium-hydroxide", "2027")].quantity == Decimal("40")


def test_xlsx_numbers_typed_as_numbers_and_as_text(open_round, member_a):
    """A number cell is the number Excel stored (1.125 stays 1.125 in German too); a text cell
    of the quantity column is read in the user's notation (1.500,5)."""
    data = demand_xlsx(
        [
            HEADER,
            ["ndpr-oxide", "2027", 1.125, "t"],
            ["cobalt-sulphate", 2028, "1.500,5", "kg"],
            ["lithium-hydroxide", "2029-Q1", 1e3, "lb"],
        ]
    )
    result = upload(open_round, member_a, data, language="de")
    assert result.errors is None and result.created == 3
    got = lines(open_round, member_a)
    assert got[("ndpr-oxide", "2027")].quantity == Decimal("1.125")
    assert got[("cobalt-sulphate", "2028")].quantity == Decimal("1500.5")
    assert got[("lithium-hydroxide", "2029-Q1")].quantity == Decimal("1000")


def test_xlsx_rich_text_escapes_and_skipped_rows(open_round, member_a):
    """Shared strings in runs with a phonetic reading, Excel's _x000D_ escape, rows and cells
    without their optional "r", and a gap in the rows: errors name the sheet's own row."""
    strings = [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><r><t>ndpr-</t></r><r><t>oxide</t></r><rPh><t>ignored</t></rPh></si>"
        b"<si><t>5N_x000D_\nrein</t></si></sst>",
    ]
    body = [
        row_xml(1, [*HEADER, "grade"]),
        b'<row><c t="s"><v>0</v></c><c><v>2027</v></c><c><v>4</v></c>'
        b'<c t="inlineStr"><is><t>t</t></is></c><c t="s"><v>1</v></c></row>',
        row_xml(5, ["ndpr-oxide", "2028", 0, "t"]),
    ]
    errors = refused(open_round, member_a, build(sheet(body), strings=strings))
    assert [(e["row"], e["column"]) for e in errors] == [(5, "quantity")]
    body[2] = row_xml(5, ["ndpr-oxide", "2028", 2, "t"])
    result = upload(open_round, member_a, build(sheet(body), strings=strings))
    assert result.errors is None and result.created == 2
    assert lines(open_round, member_a)[("ndpr-oxide", "2027")].grade == "5N\r\nrein"


def test_blank_lines_and_trailing_separators_are_ignored(open_round, member_a):
    data = csv_bytes("material;period;quantity;unit;\nlithium-hydroxide;2027;40;t;\n;;;;\n\n")
    result = upload(open_round, member_a, data)
    assert result.errors is None and result.created == 1


def test_same_key_again_replaces_and_keeps_history(open_round, member_a):
    upload(open_round, member_a, csv_bytes(GOOD_COMMA))
    data = csv_bytes(
        "material,period,quantity,unit,grade\nlithium-hydroxide,2027,55,t,battery grade >= 56.5% LiOH\n"
    )
    result = upload(open_round, member_a, data)
    assert (result.created, result.replaced) == (0, 1)
    line = lines(open_round, member_a)[("lithium-hydroxide", "2027")]
    assert line.quantity == Decimal("55") and line.version == 2
    before = line.history.get()
    assert before.change == "replaced" and before.quantity == Decimal("40") and before.version == 1


# ---- refused whole ------------------------------------------------------------------------------


def refused(open_round, member_a, data, language="en"):
    """Upload a file that must be refused; returns its errors and checks that nothing was written."""
    result = upload(open_round, member_a, data, language=language)
    assert result.errors, "the file should have been refused"
    assert not DemandLine.objects.filter(round=open_round).exists()
    for error in result.errors:
        # Worded in the upload's language and, for the error page, in every other one.
        assert set(error) == {"row", "column", "message", "messages"}
        assert set(error["messages"]) == {"de", "en"}
        assert error["messages"][language] == error["message"]
    with translation.override(language):
        return for_reader(result.errors)


def one_bad_row(row: str, header="material,period,quantity,unit") -> bytes:
    """A file with a good first row and the given bad row (spreadsheet row 3)."""
    return csv_bytes(f"{header}\nlithium-hydroxide,2027,40,t\n{row}\n")


def test_wrong_header(open_round, member_a):
    errors = refused(
        open_round, member_a, csv_bytes("lithium-hydroxide,2027,40,t\nndpr-oxide,2028,5,t\n")
    )
    assert {e["column"] for e in errors} >= {"material", "period", "quantity", "unit"}
    assert all(e["row"] is None for e in errors)


def test_missing_column(open_round, member_a):
    errors = refused(
        open_round, member_a, csv_bytes("material,period,unit\nlithium-hydroxide,2027,t\n")
    )
    assert errors == [{"row": None, "column": "quantity", "message": errors[0]["message"]}]
    assert "quantity" in errors[0]["message"]


def test_unknown_column(open_round, member_a):
    errors = refused(
        open_round,
        member_a,
        csv_bytes("material,period,quantity,unit,comittment\nlithium-hydroxide,2027,40,t,firm\n"),
    )
    assert errors[0]["row"] is None and "comittment" in errors[0]["message"]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("lithium-nitrate,2027,40,t", "material", "Unknown material"),
        ("gallium,2027,40,t", "material", "not one of this round's materials"),
        ("ndpr-oxide,2027,40,tonnes", "unit", "Unknown unit"),
        ("ndpr-oxide,2027,0,t", "quantity", "greater than zero"),
        ("ndpr-oxide,2027,-5,t", "quantity", "greater than zero"),
        ("ndpr-oxide,2027,viel,t", "quantity", "not a number"),
        ('ndpr-oxide,2027,"1,500.5",t', "quantity", "not a number"),
        ("ndpr-oxide,2027-Q5,40,t", "period", "not a period"),
        ("ndpr-oxide,27/2028,40,t", "period", "not a period"),
        ("ndpr-oxide,2032-Q1,40,t", "period", "outside the round's window"),
        ("ndpr-oxide,2026,40,t", "period", "outside the round's window"),
        ("ndpr-oxide,2027,40,t,maybe", "commitment", "Unknown commitment"),
        ("ndpr-oxide,2027,40,t,,,XX", "delivery_country", "ISO 3166"),
        ("ndpr-oxide,,40,t", "period", "required"),
    ],
)
def test_bad_row(open_round, member_a, row, column, words):
    header = "material,period,quantity,unit,commitment,grade,delivery_country"
    errors = refused(open_round, member_a, one_bad_row(row, header))
    assert len(errors) == 1
    assert errors[0]["row"] == 3 and errors[0]["column"] == column
    assert words in errors[0]["message"]


def test_quantity_below_the_minimum(make_round, member_a):
    round = make_round(min_quantity_t=Decimal("0.5"))
    round_services.terms_accept(round=round, actor=member_a)
    errors = refused(round, member_a, one_bad_row("ndpr-oxide,2027,400,kg"))
    assert (
        errors[0]["row"] == 3
        and errors[0]["column"] == "quantity"
        and "minimum" in errors[0]["message"]
    )


def test_year_only_partly_inside_the_window(make_round, member_a):
    round = make_round(first=Quarter(2027, 3))
    round_services.terms_accept(round=round, actor=member_a)
    errors = refused(
        round,
        member_a,
        csv_bytes("material,period,quantity,unit\nndpr-oxide,2028,4,t\nndpr-oxide,2027,4,t\n"),
    )
    assert (
        errors[0]["row"] == 3
        and errors[0]["column"] == "period"
        and "only partly" in errors[0]["message"]
    )


def test_duplicate_keys_inside_the_file(open_round, member_a):
    data = csv_bytes(
        "material,period,quantity,unit\nndpr-oxide,2027,4,t\nlithium-hydroxide,2027,4,t\nNDPR-OXIDE,2027,5,kg\n"
    )
    errors = refused(open_round, member_a, data)
    assert errors == [{"row": 4, "column": "material", "message": errors[0]["message"]}]
    assert "row 2" in errors[0]["message"]


def test_empty_file(open_round, member_a):
    assert refused(open_round, member_a, b"")[0]["row"] is None
    assert "empty" in refused(open_round, member_a, b"  \r\n")[0]["message"]
    assert (
        "no rows"
        in refused(open_round, member_a, csv_bytes("material,period,quantity,unit\n"))[0]["message"]
    )


def test_file_over_the_size_limit_says_the_limit(open_round, member_a, settings):
    settings.DEMAND_FILE_MAX_BYTES = 2048
    data = csv_bytes("material,period,quantity,unit\n" + "ndpr-oxide,2027,4,t\n" * 200)
    errors = refused(open_round, member_a, data)
    assert errors[0]["row"] is None and "2 KB" in errors[0]["message"]


def test_file_over_the_row_limit_says_the_limit(open_round, member_a, settings):
    settings.DEMAND_FILE_MAX_ROWS = 3
    rows = "".join(f"ndpr-oxide,2027-Q{q},4,t\n" for q in (1, 2, 3, 4))
    errors = refused(open_round, member_a, csv_bytes("material,period,quantity,unit\n" + rows))
    assert errors[0]["row"] is None and "3" in errors[0]["message"]


def test_binary_file_disguised_as_csv(open_round, member_a):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4
    errors = refused(open_round, member_a, png)
    assert errors[0]["row"] is None and "not a CSV" in errors[0]["message"]


def test_xlsx_formula_without_cached_value(open_round, member_a):
    data = xlsx_bytes(
        [["material", "period", "quantity", "unit"], ["lithium-hydroxide", "2027", "=20*2", "t"]]
    )
    errors = refused(open_round, member_a, data)
    assert (
        errors[0]["row"] == 2 and errors[0]["column"] == "quantity" and "C2" in errors[0]["message"]
    )


def test_every_error_is_listed_with_spreadsheet_rows(open_round, member_a):
    data = csv_bytes(
        "material,period,quantity,unit\nndpr-oxide,2027,4,t\nxx,2027,4,t\nndpr-oxide,2040,0,t\nndpr-oxide,2028,5,g\n"
    )
    errors = refused(open_round, member_a, data)
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "material"),
        (4, "period"),
        (4, "quantity"),
        (5, "unit"),
    ]


def test_messages_are_in_the_users_language(open_round, member_a):
    errors = refused(open_round, member_a, one_bad_row("ndpr-oxide,2027,0,t"), language="de")
    assert "größer als null" in errors[0]["message"]


def test_a_good_row_does_not_get_written_when_another_is_bad(open_round, member_a, enter):
    enter(open_round, member_a, material="cobalt-sulphate", quantity="7")
    data = one_bad_row("ndpr-oxide,2027,0,t")
    result = upload(open_round, member_a, data)
    assert result.errors
    assert list(
        DemandLine.objects.filter(round=open_round).values_list("material__code", flat=True)
    ) == ["cobalt-sulphate"]


@pytest.mark.parametrize("path", ["copy", "bulk"])
def test_both_write_paths_create_replace_and_keep_history(
    open_round, member_a, enter, monkeypatch, path
):
    """PostgreSQL commits with COPY and set-based SQL, SQLite (the demo) with bulk writes: same result."""
    if path == "bulk":
        from django.db import connection

        monkeypatch.setattr(connection, "vendor", "sqlite")
    tricky = '"Reinheit 99,5 %, ""5N"""'
    first = csv_bytes(
        f"material,period,quantity,unit,grade\nndpr-oxide,2027,4,t,{tricky}\ncobalt-sulphate,2028-Q2,1,lb,\n"
    )
    assert (upload(open_round, member_a, first).created, DemandLine.objects.count()) == (2, 2)
    line = DemandLine.objects.get(material__code="ndpr-oxide")
    assert (
        line.grade == 'Reinheit 99,5 %, "5N"' and line.quantity_t == Decimal("4") and line.is_year
    )
    cobalt = DemandLine.objects.get(material__code="cobalt-sulphate")
    assert cobalt.quantity_t == Decimal("0.000454") and cobalt.first_quarter == 2028 * 4 + 1
    line_services.line_withdraw(line=cobalt, actor=member_a)
    second = csv_bytes(
        f"material,period,quantity,unit,grade\nndpr-oxide,2027,6,t,{tricky}\ncobalt-sulphate,2028-Q2,2,t,\n"
        "lithium-hydroxide,2029,3,t,\n"
    )
    result = upload(open_round, member_a, second)
    assert (result.created, result.replaced) == (2, 1)  # the withdrawn line counts as new again
    line.refresh_from_db()
    cobalt.refresh_from_db()
    assert (
        line.quantity == Decimal("6")
        and line.version == 2
        and line.history.get().quantity == Decimal("4")
    )
    assert cobalt.withdrawn_at is None and cobalt.quantity_t == Decimal("2") and cobalt.version == 3
    assert DemandLine.objects.count() == 3


def test_a_short_row_misses_its_required_fields(open_round, member_a):
    errors = refused(open_round, member_a, one_bad_row("ndpr-oxide,2027"))
    assert [(e["row"], e["column"]) for e in errors] == [(3, "quantity"), (3, "unit")]
    assert all("required" in e["message"] for e in errors)


@pytest.mark.parametrize(
    "grade", ["battery grade\n>= 56.5 % LiOH", "5N\rrein", "Spezifikation\u2028Anhang B"]
)
def test_a_grade_with_a_line_break_is_kept_as_written(open_round, member_a, grade):
    """A multi-line cell (Alt+Enter in Excel) is one value: the firm's first file (COPY straight
    into the lines) and a later one (through the staging table) both store it as it was written,
    and nothing of the row's other columns ends up in it."""

    def demand_file(quantity: str) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["material", "period", "quantity", "unit", "grade"])
        writer.writerow(["ndpr-oxide", "2027", quantity, "t", grade])
        writer.writerow(["cobalt-sulphate", "2028-Q2", "1", "t", ""])
        return buffer.getvalue().encode()

    result = upload(open_round, member_a, demand_file("4"))
    assert (result.errors, result.created) == (None, 2)
    line = DemandLine.objects.get(material__code="ndpr-oxide")
    assert (line.grade, line.quantity, line.period) == (grade, Decimal("4"), "2027")
    assert line.organisation == member_a.organisation and line.entered_by == member_a
    result = upload(open_round, member_a, demand_file("6"))
    assert (result.errors, result.created, result.replaced) == (None, 0, 2)
    line.refresh_from_db()
    assert (line.grade, line.quantity, line.version) == (grade, Decimal("6"), 2)


# ---- material names ----------------------------------------------------------------------------


def names_file(materials, kind):
    """Each material written one way: German name, English name (other case, padded), code."""
    lioh, dy, ndpr = (
        materials["lithium-hydroxide"],
        materials["dysprosium-oxide"],
        materials["ndpr-oxide"],
    )
    rows = [
        ["material", "period", "quantity", "unit"],
        [lioh.name_de, "2027", "40", "t"],
        [f"  {dy.name_en.upper()} ", "2028", "2", "t"],
        [ndpr.code, "2029", "3", "t"],
    ]
    if kind == "xlsx":
        return xlsx_bytes(rows)
    return csv_bytes("".join(";".join(row) + "\n" for row in rows))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_material_by_german_name_english_name_or_code(open_round, member_a, materials, kind):
    result = upload(open_round, member_a, names_file(materials, kind))
    assert (result.created, result.errors) == (3, None)
    assert set(lines(open_round, member_a)) == {
        ("lithium-hydroxide", "2027"),
        ("dysprosium-oxide", "2028"),
        ("ndpr-oxide", "2029"),
    }


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_unknown_material_name_keeps_the_rules_message(open_round, member_a, kind):
    rows = [["material", "period", "quantity", "unit"], ["Lithiumnitrat", "2027", "40", "t"]]
    data = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes("\n".join(map(",".join, rows)))
    errors = refused(open_round, member_a, data)
    assert errors == [
        {"row": 2, "column": "material", "message": "Unknown material Lithiumnitrat."}
    ]


def test_a_name_and_the_code_of_one_material_are_the_same_line(open_round, member_a, materials):
    lioh = materials["lithium-hydroxide"]
    data = csv_bytes(
        f"material,period,quantity,unit\n{lioh.code},2027,40,t\n{lioh.name_en},2027,5,t\n"
    )
    errors = refused(open_round, member_a, data)
    assert [(e["row"], e["column"]) for e in errors] == [(3, "material")]
    assert "repeats row 2" in errors[0]["message"]


def test_names_are_read_with_one_query_for_the_whole_file(
    open_round, member_a, materials, django_assert_max_num_queries
):
    from industry.upload.reading import read_demand_file

    name = materials["cobalt-sulphate"].name_de
    body = "".join(f"{name},2027-Q{q % 4 + 1},{q + 1},t,,g{q}\n" for q in range(200))
    data = csv_bytes("material,period,quantity,unit,commitment,grade\n" + body)
    with django_assert_max_num_queries(3):
        parsed = read_demand_file(data, round=open_round)
    assert not parsed.errors and len(parsed.rows) == 200
