"""The market in a real browser, in German and in English: the desk opens a call for offers, a
supplier offers against it, the call is matched after its deadline and the desk turns the match
into a draft offtake contract. Every page on the way passes axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import cards_on_a_phone
from tests.browser.navigation import click_and_load
from tests.conftest import TEST_PASSWORD
from tests.market.conftest import disclosed_cell

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def setting(desk, make_org, make_user):
    """An aggregated round with published positions (one disclosed lithium hydroxide quarter of
    six firms) and a supplier linked to a counterparty."""
    from contracts.models import Counterparty
    from industry.models import DemandRound
    from market.models import SupplierLink
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Quarter
    from tradinghouse.models import PositionSet

    lioh = Material.objects.get(code="lithium-hydroxide")
    now = timezone.now()
    round = DemandRound.objects.create(
        title="Runde Markt",
        first_quarter=Quarter(2027, 1).index,
        last_quarter=Quarter(2027, 4).index,
        state="aggregated",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    round.materials.set([lioh])
    ps = PositionSet.objects.create(
        round=round, is_current=True, published_at=now, min_firms=5, p_rule=Decimal("0.1")
    )
    disclosed_cell(ps, lioh, Quarter(2027, 1).index, Decimal("300"))
    org = make_org("Andes Browser S.A.", "supplier")
    SupplierLink.objects.create(
        organisation=org,
        counterparty=Counterparty.objects.create(
            name="Andes Browser", kind="producer", country="CL"
        ),
    )
    supplier = make_user("supplier", org=org, email="angebot@andes-browser.example")
    return {"round": round, "supplier": supplier, "quarter": Quarter(2027, 1).index}


@pytest.mark.parametrize("language", ["de", "en"])
def test_desk_opens_a_call_a_supplier_offers_the_match_becomes_a_draft_contract(
    browser_login,
    live_server,
    desk,
    setting,
    assert_accessible,
    language,
    page,
    browser,
    browser_context_args,
):
    from market.models import Call
    from rohstoff.core.services import user_set_language

    supplier = setting["supplier"]
    for user in (desk, supplier):
        user_set_language(user=user, language=language)
    base = live_server.url

    browser_login(desk)
    page.goto(f"{base}/market/new/")
    assert_accessible(page, "call form")
    page.select_option("#id_round", str(setting["round"].pk))
    page.fill("#id_title", "Aufruf Browser")
    deadline = timezone.localtime() + datetime.timedelta(days=5)
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_terms", "DAP Hamburg")
    page.fill("#id_specifications", "battery grade")
    click_and_load(page, "main form button[type=submit]")
    call = Call.objects.get(title="Aufruf Browser")
    assert page.url.endswith(f"/market/{call.pk}/")
    expect(page.locator("[data-testid=call-sheet]")).to_contain_text("300")
    assert_accessible(page, "call page (desk)")

    desk_page = page
    # The supplier in a browser of its own (the desk stays signed in in the first).
    page = browser.new_context(**browser_context_args).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", supplier.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    click_and_load(page, "main form button[type=submit]")
    page.goto(f"{base}/market/{call.pk}/")
    assert_accessible(page, "call page (supplier)")
    # On a phone the sheet fits: each material's name heads its quarters once, and every figure
    # is on the screen (three columns with the name repeated cut the demand off at 390 px).
    sheet = page.locator("[data-testid=call-sheet]")
    groups = sheet.locator("tr.row-group th[scope=rowgroup]").all_inner_texts()
    assert groups and len(groups) == len(set(groups))
    assert sheet.locator("tbody").first.locator("th[scope=row]").first.inner_text() == "2027-Q1"
    page.set_viewport_size({"width": 390, "height": 844})
    assert (
        sheet.evaluate(
            "t => t.closest('.table-wrap').scrollWidth - t.closest('.table-wrap').clientWidth"
        )
        <= 0
    )
    assert_accessible(page, "call page (supplier) on a phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    click_and_load(page, f"a[href='/market/{call.pk}/offers/new/']")
    page.select_option(
        "#id_material", label=page.locator("#id_material option").nth(1).inner_text()
    )
    page.fill(f"#id_q_{setting['quarter']}", "120")
    page.select_option("#id_pricing_type", "fixed")
    page.fill("#id_fixed_price", "15000")
    page.select_option("#id_currency", "EUR")
    page.select_option("#id_incoterm", "DAP")
    page.fill("#id_incoterm_place", "Hamburg")
    # An EU origin: a single third country alone would be held at the 65 % limit.
    page.select_option("#id_origin_country", "FI")
    page.select_option("#id_origin_stage", "refined")
    assert_accessible(page, "offer form")
    click_and_load(page, "main form button[type=submit]")
    offer = call.offers.get()
    assert page.url.endswith(f"/market/offers/{offer.pk}/")
    assert_accessible(page, "offer page")
    # The supplier's offers are cards on a phone, and so are the calls.
    page.goto(f"{base}/market/{call.pk}/offers/")
    assert cards_on_a_phone(page) == 1
    assert_accessible(page, "the supplier's offers")
    page.goto(f"{base}/market/")
    assert cards_on_a_phone(page) == 1
    assert_accessible(page, "the calls")

    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    page = desk_page
    page.goto(f"{base}/market/{call.pk}/review/")
    click_and_load(page, f"form[action='/market/{call.pk}/match/'] button")
    expect(page.locator(f"[data-testid=result-{offer.pk}]")).to_contain_text("120")
    assert_accessible(page, "review page")
    # On a phone each matched quarter is a card, its adjustment form on the screen.
    quarters = offer.allocations.count()
    assert quarters > 0 and cards_on_a_phone(page) == quarters
    # The call's dashboard: each material heads its quarters, each quarter a card on a phone
    # with its three figures in sight (in one row the matched tonnes, and the highest landed
    # price, were cut at the edge).
    page.goto(f"{base}/market/{call.pk}/dashboard/")
    tables = page.locator("[data-testid=call-volumes], [data-testid=price-ranges]")
    groups = tables.locator("tr.row-group").count()
    prices = page.locator("[data-testid=price-ranges] tbody th[scope=row]").count()
    cards = cards_on_a_phone(page)
    assert groups > 0 and prices > 0
    assert cards == groups + tables.locator("tbody th[scope=row]").count()
    assert_accessible(page, "the call's dashboard")
    page.goto(f"{base}/market/{call.pk}/review/")
    click_and_load(page, f"[data-testid=result-{offer.pk}] form button")
    contract = offer.results.get().contract
    assert contract is not None and contract.state == "draft"
    assert page.url.endswith(f"/contracts/{contract.pk}/")
    assert contract.counterparty.name == "Andes Browser"
