"""Fixtures of the demand tests: an open round with materials, firms that accepted its terms, and
helpers to write demand files."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter

FIRST, LAST = Quarter(2027, 1), Quarter(2031, 4)
MATERIALS = ("lithium-hydroxide", "dysprosium-oxide", "ndpr-oxide", "cobalt-sulphate")


@pytest.fixture
def materials(db):
    if not Material.objects.filter(code__in=MATERIALS).exists():
        # The reference list comes from a data migration; a transactional test may have flushed it.
        from rohstoff.core.reference import load_materials

        load_materials(Material)
    return {m.code: m for m in Material.objects.filter(code__in=MATERIALS)}


@pytest.fixture
def make_round(desk, materials):
    """make_round(state="open", **overrides): a round from 2027-Q1 to 2031-Q4 made by the services."""
    from industry.rounds import services as round_services

    def make(state="open", min_quantity_t=Decimal("0"), first=FIRST, last=LAST, **overrides):
        now = timezone.now()
        values = {
            "title": "Runde Test",
            "materials": list(materials.values()),
            "first_period": first,
            "last_period": last,
            "opens_at": now - datetime.timedelta(days=1),
            "closes_at": now + datetime.timedelta(days=10),
            "min_quantity_t": min_quantity_t,
        }
        values.update(overrides)
        round = round_services.round_create(actor=desk, **values)
        if state in ("open", "closed", "aggregated"):
            round = round_services.round_open(round=round, actor=desk)
        if state in ("closed", "aggregated"):
            round = round_services.round_close(round=round, actor=desk)
        if state == "aggregated":
            round = round_services.round_mark_aggregated(round=round)
        return round

    return make


@pytest.fixture
def open_round(make_round, member_a, member_b):
    from industry.rounds import services as round_services

    round = make_round()
    round_services.terms_accept(round=round, actor=member_a)
    round_services.terms_accept(round=round, actor=member_b)
    return round


@pytest.fixture
def enter(materials):
    """enter(round, user, material="lithium-hydroxide", period="2027", quantity="40", unit="t", ...)"""
    from industry.lines import services as line_services

    def do(
        round,
        user,
        material="lithium-hydroxide",
        period="2027",
        quantity="40",
        unit="t",
        commitment="indicative",
        grade="",
        delivery_country="DE",
    ):
        return line_services.line_enter(
            round=round,
            actor=user,
            material=materials[material],
            period=period,
            quantity=Decimal(quantity),
            unit=unit,
            commitment=commitment,
            grade=grade,
            delivery_country=delivery_country,
        )

    return do


@pytest.fixture
def lines_of_every_kind(open_round, member_a, colleague_a, member_b, desk, enter):
    """Years and quarters, units, a firm commitment, a grade and a country; a line entered by a
    colleague without a name (pages and the API show the e-mail), an excluded line, a withdrawn
    one and another firm's."""
    from industry.lines import services as line_services

    colleague_a.full_name = ""
    colleague_a.save(update_fields=["full_name"])
    enter(open_round, member_a, period="2027", quantity="40")
    enter(
        open_round,
        member_a,
        material="ndpr-oxide",
        period="2028-Q3",
        quantity="1500.123456",
        unit="kg",
        commitment="firm",
        grade='99,5 % <fein> & "rein"',
        delivery_country="FR",
    )
    enter(open_round, colleague_a, material="dysprosium-oxide", period="2029-Q1", quantity="7")
    enter(
        open_round, colleague_a, material="cobalt-sulphate", period="2030", quantity="12", unit="lb"
    )
    excluded, _ = enter(open_round, member_a, period="2031-Q4", quantity="900000")
    line_services.line_exclude(line=excluded, actor=desk, reason="Ausreißer: 100x the median")
    withdrawn, _ = enter(open_round, member_a, period="2029", quantity="3")
    line_services.line_withdraw(line=withdrawn, actor=member_a)
    enter(open_round, member_b, material="ndpr-oxide", period="2027-Q2", quantity="0.5")
    return open_round


@pytest.fixture
def line_a(open_round, member_a, enter):
    return enter(open_round, member_a)[0]


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list], formulas_cached: dict[str, str] | None = None) -> bytes:
    """An XLSX file; ``formulas_cached`` maps cell -> cached value to write for formula cells
    (openpyxl writes formulas without a cached value, as a file never opened in Excel has)."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if not formulas_cached:
        return data
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                for cell, value in formulas_cached.items():
                    xml = re.sub(
                        rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v>[^<]*</v>|<v\s*/>)?',
                        rf"\1\2<v>{value}</v>",
                        xml,
                    )
                content = xml.encode()
            target.writestr(item, content)
    return out.getvalue()


# The tests read messages in English (German is the default language; tests that check the
# German wording ask for it).
@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api(api):
    def make(user=None):
        api_client = api(user)
        api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return api_client

    return make
