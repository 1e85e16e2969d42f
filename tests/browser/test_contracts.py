"""The trading desk in a real browser: create an offtake contract, generate its schedule, sign
it, record a short delivery, allocate it to the member firms, and see the coverage change.
Every page on the way passes axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.navigation import click_and_load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def setting(desk, make_org):
    """A closed and aggregated round whose window starts two quarters ago (so that a delivery
    can be short already), five firms with 8 t of firm lithium hydroxide demand a quarter."""
    from contracts.models import Counterparty
    from contracts.pricing import quarter_of
    from industry.models import DemandLine, DemandRound
    from rohstoff.core.models import Material
    from tradinghouse.services import aggregation_start

    lioh = Material.objects.get(code="lithium-hydroxide")
    first = quarter_of(timezone.localdate()) + -2
    now = timezone.now()
    round = DemandRound.objects.create(
        title="Runde Browser",
        first_quarter=first.index,
        last_quarter=(first + 7).index,
        state="closed",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    round.materials.set([lioh])
    firms = [make_org(f"Browserfirma {i} GmbH", "member") for i in range(5)]
    for firm in firms:
        for n in range(4):
            q = first + n
            DemandLine.objects.create(
                round=round,
                organisation=firm,
                material=lioh,
                period=str(q),
                first_quarter=q.index,
                is_year=False,
                quantity=Decimal("8"),
                unit="t",
                quantity_t=Decimal("8"),
                commitment="firm",
                entered_by=desk,
            )
    aggregation_start(round=round, actor=desk)  # runs in-process (autocommit)
    Counterparty.objects.create(name="Salar Andino Litio SpA", kind="producer", country="CL")
    return {"round": round, "first": first, "lioh": lioh}


def coverage(page, first):
    return page.locator(f"[data-testid='coverage-lithium-hydroxide-{first}']").inner_text().strip()


def test_desk_contract_schedule_short_delivery_allocation_and_coverage(
    browser_login, live_server, desk, setting, assert_accessible
):
    page = browser_login(desk)
    page.on("dialog", lambda dialog: dialog.accept())
    first = setting["first"]
    base = live_server.url

    page.goto(f"{base}/contracts/dashboard/")
    assert coverage(page, first) == "0 %"
    assert_accessible(page, "dashboard before")

    # The contract: 40 t a year from two quarters ago, fixed price, lots of 1 t.
    page.goto(f"{base}/contracts/new/")
    assert_accessible(page, "new contract")
    page.fill("#id_reference", "OFF-BROWSER-1")
    page.select_option("#id_counterparty", label="Salar Andino Litio SpA")
    page.select_option("#id_round", label="Runde Browser")
    page.select_option("#id_material", value=str(setting["lioh"].pk))
    page.fill("#id_start_quarter", str(first))
    page.fill("#id_end_quarter", str(first + 3))
    page.fill("#id_annual_volume_t", "40")
    page.fill("#id_lot_size_t", "1")
    page.select_option("#id_incoterm", "CIF")
    page.fill("#id_incoterm_place", "Hamburg")
    page.select_option("#id_currency", "EUR")
    page.select_option("#id_pricing_type", "fixed")
    page.fill("#id_fixed_price", "11.800")
    page.fill("#id_floor", "12.000")
    page.fill("#id_cap", "9.000")
    click_and_load(page, "button[type=submit]:has-text('Vertrag anlegen')")
    # Floor above cap: the form says so at the field and nothing is created.
    expect(page.locator("#id_floor_error")).to_contain_text("über der Obergrenze")
    assert_accessible(page, "contract form with errors")
    page.fill("#id_floor", "")
    page.fill("#id_cap", "")
    click_and_load(page, "button[type=submit]:has-text('Vertrag anlegen')")

    # The schedule, generated from the annual volume.
    expect(page.locator("h1")).to_contain_text("Lieferplan von OFF-BROWSER-1")
    assert_accessible(page, "schedule")
    click_and_load(page, "button:has-text('Aus Jahresmenge erzeugen')")
    expect(page.locator(f"#id_q{first.index}")).to_have_value("10")
    click_and_load(page, "button:has-text('Lieferplan speichern')")

    # Sign it.
    expect(page.locator("[data-testid=contract-state]")).to_have_text("Entwurf")
    click_and_load(page, "button:has-text('in Verhandlung')")
    click_and_load(page, "button:has-text('unterzeichnet')")
    expect(page.locator("[data-testid=contract-state]")).to_have_text("unterzeichnet")
    assert_accessible(page, "contract")

    # A short delivery in the first (past) quarter: 6 of 10 t.
    click_and_load(page, "a:has-text('Lieferung erfassen')")
    assert_accessible(page, "delivery form")
    page.select_option("#id_quarter", label=str(first))
    page.fill("#id_delivered_on", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_quantity_t", "6")
    page.fill("#id_assay", "LiOH 56,7 %")
    click_and_load(page, "button:has-text('Lieferung speichern')")
    row = page.locator("[data-testid=schedule] tbody tr", has_text=str(first))
    expect(row).to_contain_text("zu wenig")
    expect(page.locator("[data-testid=deliveries]")).to_contain_text("LiOH 56,7 %")

    # Allocate: 10 lots among five firms with 8 t each -> 2 t each; release.
    click_and_load(page, "a:has-text('Zuteilung an Mitglieder')")
    click_and_load(page, "[data-testid=allocation-preview]")
    expect(page.locator("[data-testid=allocation-state]")).to_have_text("Entwurf")
    # The first quarter's shares are shown first; the quarters' table links every quarter.
    expect(page.locator(f"#q{first.index} a[aria-current=true]")).to_have_text(str(first))
    first_quarter = page.locator("#shares")
    expect(first_quarter.locator("h2")).to_have_text(f"Anteile in {first}")
    expect(first_quarter.locator("[data-testid=allocated]")).to_have_count(5)
    for cell in first_quarter.locator("[data-testid=allocated]").all():
        assert cell.inner_text().strip().startswith("2")
    assert_accessible(page, "allocation draft")
    click_and_load(page, "[data-testid=allocation-release]")
    expect(page.locator("[data-testid=allocation-state]")).to_have_text("an Mitglieder freigegeben")

    # The coverage of the first quarter: 10 t contracted of 40 t demand.
    page.goto(f"{base}/contracts/dashboard/")
    assert coverage(page, first) == "25 %"
    assert_accessible(page, "dashboard after")
