"""The member's demand entry in a real browser: terms, three lines in the grid (htmx, German
numbers), a German-Excel CSV whose preview shows an error, the corrected file, and the totals.
Every page on the way passes axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import cards_on_a_phone
from tests.browser.navigation import click_and_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD_CSV = (
    "material;period;quantity;unit;commitment\r\n"
    "lithium-hydroxide;2028;1.500,5;t;verbindlich\r\n"
    "cobalt-sulphate;2029-Q1;0;t;indikativ\r\n"
    "ndpr-oxide;2030;250;kg;\r\n"
).encode("cp1252")
FIXED_CSV = BAD_CSV.replace(b"2029-Q1;0;t", b"2029-Q1;12,5;t")


@pytest.fixture
def demand_round(desk):
    from industry.rounds import services as round_services
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Quarter

    now = timezone.now()
    round = round_services.round_create(
        actor=desk,
        title="Bedarfsrunde Browser",
        materials=list(
            Material.objects.filter(
                code__in=["lithium-hydroxide", "dysprosium-oxide", "ndpr-oxide", "cobalt-sulphate"]
            )
        ),
        first_period=Quarter(2027, 1),
        last_period=Quarter(2031, 4),
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=14),
    )
    return round_services.round_open(round=round, actor=desk)


def add_line(page, material, period, quantity, unit="t"):
    rows_before = page.locator("#lines-table tbody tr").count()
    page.fill("#id_new-material", material)
    page.fill("#id_new-period", period)
    page.fill("#id_new-quantity", quantity)
    page.select_option("#id_new-unit", unit)
    page.click("[data-testid=line-add]")
    expect(page.locator("#lines-table tbody tr")).to_have_count(rows_before + 1)


def upload(page, data):
    page.set_input_files(
        "input[name=file]", files=[{"name": "bedarf.csv", "mimeType": "text/csv", "buffer": data}]
    )
    click_and_load(page, "[data-testid=upload-submit]")


def test_member_enters_lines_uploads_fixes_and_sees_totals(
    live_server, browser_login, member_a, demand_round, assert_accessible
):
    from industry.models import DemandLine

    page = browser_login(member_a)
    page.goto(f"{live_server.url}/rounds/")
    assert_accessible(page, "round list")
    click_and_load(page, "text=Bedarfsrunde Browser")
    assert_accessible(page, "round detail")
    click_and_load(page, "[data-testid=accept-terms-link]")
    assert_accessible(page, "terms")
    page.check("#accept")
    click_and_load(page, "[data-testid=accept-terms]")
    page.wait_for_selector("#new-line")
    assert_accessible(page, "empty grid")

    page_loads = []
    page.on("load", lambda _page: page_loads.append(1))
    add_line(page, "lithium-hydroxide", "2027", "40")
    add_line(page, "dysprosium-oxide", "2028-Q3", "2.000", unit="kg")
    add_line(page, "ndpr-oxide", "2029", "1,5")
    assert page_loads == []  # htmx: no full page reload per row
    assert page.locator("#lines-table tbody tr").count() == 3
    assert page.inner_text("[data-testid=total-dysprosium-oxide]") == "2"
    assert_accessible(page, "grid with lines")

    # a message next to the field, and nothing saved
    page.fill("#id_new-material", "cobalt-sulphate")
    page.fill("#id_new-period", "2035")
    page.fill("#id_new-quantity", "5")
    page.click("[data-testid=line-add]")
    page.wait_for_selector("#id_new-period_error")
    assert "außerhalb" in page.inner_text("#id_new-period_error")
    assert_accessible(page, "grid with a field error")

    upload(page, BAD_CSV)
    errors = page.locator("[data-testid=upload-errors] tbody tr")
    assert errors.count() == 1
    assert errors.first.inner_text().split("\t")[:2] == ["3", "quantity"]
    assert "größer als null" in errors.first.inner_text()
    assert_accessible(page, "upload refused")
    assert (
        DemandLine.objects.filter(round=demand_round).count() == 3
    )  # nothing of the file was written

    upload(page, FIXED_CSV)
    assert page.inner_text("[data-testid=preview-rows]") == "3"
    assert_accessible(page, "upload preview")
    click_and_load(page, "[data-testid=upload-commit]")
    page.wait_for_selector("[data-testid=totals]")

    assert page.inner_text("[data-testid=total-lithium-hydroxide]") == "1.540,5"
    assert page.inner_text("[data-testid=total-ndpr-oxide]") == "1,75"
    assert page.inner_text("[data-testid=total-cobalt-sulphate]") == "12,5"
    assert page.inner_text("[data-testid=total-dysprosium-oxide]") == "2"
    lines = DemandLine.objects.filter(round=demand_round)
    assert lines.count() == 6
    assert lines.get(material__code="lithium-hydroxide", period="2028").quantity == Decimal(
        "1500.5"
    )
    assert_accessible(page, "grid after the upload")

    # edit a line inline, in English too
    click_and_load(page, "[data-testid=language-switch]")
    page.wait_for_selector("[data-testid=line-edit]")
    page.locator("[data-testid=line-edit]").first.click()
    page.wait_for_selector("tr.is-editing")
    assert_accessible(page, "grid with an edit row")
    page.locator("tr.is-editing input[name$=quantity]").fill("45")
    page.click("[data-testid=line-save]")
    page.wait_for_selector("text=Saved:")
    assert lines.get(material__code="lithium-hydroxide", period="2027").quantity == Decimal("45")


def test_desk_pages_pass_axe(
    live_server, browser_login, desk, demand_round, member_a, assert_accessible
):
    from industry.lines import services as line_services
    from industry.rounds import services as round_services
    from rohstoff.core.models import Material

    round_services.terms_accept(round=demand_round, actor=member_a)
    line_services.line_enter(
        round=demand_round,
        actor=member_a,
        material=Material.objects.get(code="ndpr-oxide"),
        period="2028",
        quantity=Decimal("3"),
        unit="t",
    )
    page = browser_login(desk)
    for path, name in [
        ("/rounds/", "round list"),
        (f"/rounds/{demand_round.pk}/", "round detail"),
        (f"/rounds/{demand_round.pk}/screening/", "screening"),
        ("/rounds/new/", "new round"),
    ]:
        page.goto(live_server.url + path)
        assert_accessible(page, f"desk {name}")
        if name == "screening":  # on a phone each line is a card, its Exclude on the screen
            lines = page.locator("main tr[id^=screen-]").count()
            assert lines > 0 and cards_on_a_phone(page) == lines
    page.fill("#material-search", "lith")
    assert page.locator("#materials-options .checkbox:visible").count() >= 2
    page.goto(f"{live_server.url}/rounds/{demand_round.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    click_and_load(page, "[data-testid=round-close]")
    page.wait_for_selector(".messages .alert--success")
    # closed, or aggregated already: the positions job runs in-process in tests
    assert page.locator("h1 .badge--closed, h1 .badge--aggregated").count() == 1
    assert_accessible(page, "closed round")


def test_on_a_phone_each_line_is_a_card_with_its_column_names_and_buttons_in_view(
    live_server, browser_login, member_a, demand_round, assert_accessible
):
    """At 390 px the lines do not scroll sideways: each row shows every value under its column's
    name, with Edit and Withdraw on the screen, and the edit form opens inside the card."""
    from industry.lines import services as line_services
    from industry.rounds import services as round_services
    from rohstoff.core.models import Material

    round_services.terms_accept(round=demand_round, actor=member_a)
    for code, period in [("lithium-hydroxide", "2028"), ("ndpr-oxide", "2029-Q3")]:
        line_services.line_enter(
            round=demand_round,
            actor=member_a,
            material=Material.objects.get(code=code),
            period=period,
            quantity=Decimal("1500.5"),
            unit="t",
            grade="battery grade",
        )
    page = browser_login(member_a)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/rounds/{demand_round.pk}/demand/")
    first = page.locator("#lines-table tbody tr").first
    labels = first.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels[:5] == ['"Material"', '"Zeitraum"', '"Menge"', '"Einheit"', '"Tonnen"']
    assert "1.500,5" in first.locator("td[data-label=Menge]").inner_text()
    for button in ("line-edit", "line-withdraw"):
        box = first.locator(f"[data-testid={button}]").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, button
    scroll = page.locator("#lines-table .table-wrap").evaluate("e => e.scrollWidth - e.clientWidth")
    assert scroll <= 0  # nothing of a line lies beyond the screen
    assert_accessible(page, "grid on a phone")

    first.locator("[data-testid=line-edit]").click()
    page.wait_for_selector("tr.is-editing")
    save = page.locator("[data-testid=line-save]").bounding_box()
    assert save is not None and save["x"] + save["width"] <= 390
    assert_accessible(page, "edit row on a phone")
