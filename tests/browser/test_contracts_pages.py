"""Every page of the offtake book and the agency's projects, as each role sees it, in German and
English: it renders and passes axe-core."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import PHONE, cards_on_a_phone
from tests.browser.navigation import click_and_load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
D = Decimal


@pytest.fixture
def book(desk, analyst, firm_a, firm_b, make_org):
    """An aggregated round, a signed index-linked contract with a delivery, index values, FX
    rates, a project, and an allocation released to two firms."""
    from agency.projects.services import project_save
    from contracts.allocations import services as allocation_services
    from contracts.counterparties import services as counterparty_services
    from contracts.deliveries import services as delivery_services
    from contracts.offtakes import services as offtake_services
    from contracts.prices import services as price_services
    from contracts.pricing import quarter_of
    from industry.models import DemandLine, DemandRound
    from rohstoff.core.models import Material
    from tradinghouse.services import aggregation_start

    lioh = Material.objects.get(code="lithium-hydroxide")
    first = quarter_of(timezone.localdate()) + -1
    now = timezone.now()
    round = DemandRound.objects.create(
        title="Runde Seiten",
        first_quarter=first.index,
        last_quarter=(first + 3).index,
        state="closed",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    round.materials.set([lioh])
    for firm, t in ((firm_a, "9"), (firm_b, "6")):
        for n in range(4):
            q = first + n
            DemandLine.objects.create(
                round=round,
                organisation=firm,
                material=lioh,
                period=str(q),
                first_quarter=q.index,
                is_year=False,
                quantity=D(t),
                unit="t",
                quantity_t=D(t),
                commitment="firm",
                entered_by=desk,
            )
    aggregation_start(round=round, actor=desk)
    project = project_save(
        actor=analyst,
        name="Salar Andino Lithium",
        operator="Salar Andino Litio SpA",
        country="CL",
        stage="construction",
        capacities=[{"material": lioh}],
    )
    counterparty = counterparty_services.counterparty_save(
        actor=desk, name="Salar Andino Litio SpA", kind="producer", country="CL"
    )
    index = price_services.index_create(
        actor=desk,
        code="demo-lioh",
        name="LiOH CIF Europa (Demo)",
        provider="Demo",
        material=lioh,
        currency="USD",
        unit="kg",
    )
    for days in range(0, 200, 7):
        price_services.index_value_set(
            actor=desk,
            index=index,
            date=timezone.localdate() - datetime.timedelta(days=days),
            value=D("11.5"),
        )
    price_services.fx_rate_set(
        actor=desk, currency="USD", date=timezone.localdate(), per_eur=D("1.08")
    )
    contract = offtake_services.contract_create(
        actor=desk,
        reference="OFF-SEITEN-1",
        counterparty=counterparty,
        round=round,
        material=lioh,
        start_quarter=first.index,
        end_quarter=(first + 3).index,
        annual_volume_t=D("40"),
        tolerance_pct=D("5"),
        take_or_pay_pct=D("80"),
        lot_size_t=D("1"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="USD",
        price_unit="t",
        pricing_type="index",
        index=index,
        quotational_period="Q-1",
        premium=D("500"),
        floor=D("9000"),
        cap=D("30000"),
        fee_type="percent",
        fee_value=D("1.5"),
        project=project,
    )
    offtake_services.schedule_generate(contract=contract, actor=desk)
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="signed")
    delivery = delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=first.index,
        delivered_on=timezone.localdate() - datetime.timedelta(days=3),
        quantity_t=D("6"),
        provisional_price=D("12400"),
    )
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=now + datetime.timedelta(days=7)
    )
    own = draft.allocations.filter(organisation=firm_a).order_by("quarter").first()
    return {
        "contract": contract,
        "index": index,
        "project": project,
        "delivery": delivery,
        "own": own,
        "counterparty": counterparty,
    }


def visit_all(page, base, paths, assert_accessible):
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert_accessible(page, path)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_page_passes_axe(
    browser_login,
    live_server,
    page,
    desk,
    member_a,
    analyst,
    ministry,
    book,
    assert_accessible,
    lang,
):
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    c = book["contract"]
    base = live_server.url
    browser_login(desk)
    visit_all(
        page,
        base,
        [
            "/contracts/",
            f"/contracts/{c.pk}/",
            f"/contracts/{c.pk}/allocation/",
            "/contracts/dashboard/",
            f"/contracts/deliveries/{book['delivery'].pk}/",
            "/contracts/due/",
            "/contracts/prices/",
            f"/contracts/prices/indices/{book['index'].pk}/",
            "/contracts/prices/indices/new/",
            "/contracts/mark-to-market/",
            "/contracts/counterparties/",
            f"/contracts/counterparties/{book['counterparty'].pk}/edit/",
            "/contracts/overview/",
            "/agency/projects/",
            f"/agency/projects/{book['project'].pk}/",
        ],
        assert_accessible,
    )
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(member_a)
    visit_all(
        page,
        base,
        ["/contracts/allocations/", f"/contracts/allocations/{book['own'].pk}/"],
        assert_accessible,
    )
    click_and_load(page, "button[value=confirm]")
    assert page.locator("[data-testid=allocation-state]").inner_text() in ("bestätigt", "confirmed")
    assert_accessible(page, "after confirming")
    page.context.clear_cookies()
    browser_login(ministry)
    visit_all(page, base, ["/contracts/overview/"], assert_accessible)


IN_SIGHT = """sel => [...document.querySelectorAll(sel)].filter(e => {
  const r = e.getBoundingClientRect();
  return r.left < 0 || r.right > window.innerWidth;
}).map(e => e.textContent.trim())"""


@pytest.mark.parametrize("lang", ["de", "en"])
def test_on_a_phone_the_book_aggregates_and_counterparties_read_whole(
    browser_login, live_server, page, desk, member_a, ministry, book, assert_accessible, lang
):
    """At 390 px the desk's aggregates page does not scroll sideways: a confirmed allocation that
    disclosure control hides carries its badge under the material, where it wraps (it widened the
    page), and the tonnes per supplier country stand under their country in sight (a country,
    a long material name and the tonnes in one row cut the tonnes at the screen's edge). The
    counterparties are cards with their Edit link on the screen."""
    from contracts.allocations.services import allocation_respond

    allocation_respond(allocation=book["own"], actor=member_a, accept=True)
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(desk)
    page.set_viewport_size(PHONE)
    assert page.goto(f"{live_server.url}/contracts/overview/").status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The tonnes per material and year: a card per material, a line per year naming its tonnes
    # (the later years were beyond the screen's edge).
    expect(page.get_by_test_id("overview-table")).to_have_class(re.compile(r"\btable--cards\b"))
    years = page.locator("[data-testid=overview-table] thead th").all_inner_texts()[1:]
    labels = page.locator("[data-testid=overview-table] tbody td").evaluate_all(
        "tds => tds.map(td => td.dataset.label)"
    )
    assert years and labels == years
    assert page.evaluate(IN_SIGHT, "[data-testid=overview-table] td") == []
    badge = page.locator("[data-testid=allocated-table] tbody th .badge--hidden")
    assert badge.count() == 1  # one firm confirmed: below the disclosure threshold
    assert (
        page.evaluate(
            IN_SIGHT, "[data-testid=allocated-table] .badge, [data-testid=allocated-table] td"
        )
        == []
    )
    countries = page.locator("[data-testid=country-table] th[scope=rowgroup]")
    assert countries.all_inner_texts() == ["Chile"]
    tonnes = page.locator("[data-testid=country-table] td.num")
    assert tonnes.count() == 1 and tonnes.inner_text() == "40\u00a0t"  # the contract's schedule
    assert (
        page.evaluate(
            IN_SIGHT, "[data-testid=country-table] td.num, [data-testid=country-table] thead th"
        )
        == []
    )
    assert_accessible(page, "aggregates on a phone")
    page.goto(f"{live_server.url}/contracts/counterparties/")
    assert cards_on_a_phone(page) == 1
    assert_accessible(page, "counterparties")
    # The ministry reads the same allocation as withheld, the words whole on the screen (the
    # headings' width cut them at its edge).
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(ministry)
    page.goto(f"{live_server.url}/contracts/overview/")
    withheld = page.locator("[data-testid=allocated-table] td.cell-hidden")
    assert withheld.count() == 1
    assert page.evaluate(IN_SIGHT, "[data-testid=allocated-table] td") == []
    assert cards_on_a_phone(page) >= 1


def test_on_a_phone_the_desks_record_lists_are_cards(
    browser_login, live_server, page, desk, book, assert_accessible
):
    """At 390 px the desk's lists of contracts, due quarters, price indices, mark-to-market,
    book totals, deliveries and projects are a card each, every figure on the screen: as rows
    of five to nine columns everything after the second was beyond the screen's edge."""
    base, c = live_server.url, book["contract"]
    browser_login(desk)
    page.set_viewport_size(PHONE)
    for path, testids, cards in (
        ("/contracts/", ["contract-book"], 1),
        ("/contracts/due/", ["due-table"], None),
        ("/contracts/prices/", ["price-indices"], 1),
        ("/contracts/mark-to-market/", ["mtm-materials", "mtm-contracts"], 2),
        ("/contracts/dashboard/", ["coverage-table", "book-by-counterparty", "book-by-country"], 2),
        (f"/contracts/{c.pk}/", ["deliveries"], None),
        ("/agency/projects/", ["project-list"], 1),
    ):
        page.goto(base + path)
        for testid in testids:
            expect(page.get_by_test_id(testid)).to_have_class(re.compile(r"\btable--cards\b"))
        # The dashboard's coverage per quarter: a card per material (its name) and per quarter.
        coverage = page.locator("[data-testid=coverage-table] tbody tr").count()
        found = cards_on_a_phone(page)
        assert found == cards + coverage if cards is not None else found >= 1, (path, found)
        assert page.evaluate(IN_SIGHT, ", ".join(f"[data-testid={t}] td" for t in testids)) == []
    assert_accessible(page, "projects on a phone")
