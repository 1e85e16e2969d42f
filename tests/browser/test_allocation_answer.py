"""A member answers a whole contract in one step (issue 10, docs/allocation.md "Answering a
whole contract at once"), in German and in English; the error summary it meets on the way
(docs/forms.md); and the tables of the allocation, screening, delivery and token pages fit:
no column cut off at 1366 px, no page wider than a 390 px phone."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import PHONE, card_problems, cards_on_a_phone, fold_state
from tests.browser.navigation import click_and_load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
D = Decimal
QUARTERS = 8


@pytest.fixture
def two_contracts(desk, firm_a, firm_b, make_org):
    """An aggregated round of eight quarters; two signed contracts over all of them, released
    to firm A, firm B and a firm with a long name (12 / 6 / 3 t of firm demand a quarter)."""
    from contracts.allocations import services as allocation_services
    from contracts.counterparties import services as counterparty_services
    from contracts.deliveries import services as delivery_services
    from contracts.offtakes import services as offtake_services
    from contracts.pricing import quarter_of
    from industry.models import DemandLine, DemandRound
    from rohstoff.core.models import Material
    from tradinghouse.services import aggregation_start

    lioh = Material.objects.get(code="lithium-hydroxide")
    first = quarter_of(timezone.localdate()) + -1
    now = timezone.now()
    round = DemandRound.objects.create(
        title="Runde Antworten",
        first_quarter=first.index,
        last_quarter=(first + (QUARTERS - 1)).index,
        state="closed",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    round.materials.set([lioh])
    long_name = make_org(
        "Oberfränkische Hochleistungsmagnet- und Präzisionsteilefertigung GmbH & Co. KG"
    )
    for firm, t in ((firm_a, "12"), (firm_b, "6"), (long_name, "3")):
        for n in range(QUARTERS):
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
                grade="battery grade ≥ 56,5 % LiOH, Fe ≤ 10 ppm, Na ≤ 50 ppm",
                entered_by=desk,
            )
    aggregation_start(round=round, actor=desk)
    counterparty = counterparty_services.counterparty_save(
        actor=desk, name="Salar Andino Litio Sociedad Anónima", kind="producer", country="CL"
    )
    rounds, contracts = [], []
    for n, reference in enumerate(("OFF-ANTWORT-1", "OFF-ANTWORT-2")):
        contract = offtake_services.contract_create(
            actor=desk,
            reference=reference,
            counterparty=counterparty,
            round=round,
            material=lioh,
            start_quarter=first.index,
            end_quarter=(first + (QUARTERS - 1)).index,
            annual_volume_t=D("24"),
            tolerance_pct=D("5"),
            take_or_pay_pct=D("80"),
            lot_size_t=D("1"),
            incoterm="CIF",
            incoterm_place="Hamburg",
            currency="EUR",
            price_unit="t",
            pricing_type="fixed",
            fixed_price=D("1234567.89"),
            fee_type="percent",
            fee_value=D("1.5"),
        )
        offtake_services.schedule_generate(contract=contract, actor=desk)
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
        offtake_services.contract_transition(
            contract=contract,
            actor=desk,
            to_state="signed",
            signed_on=datetime.date(2026, 1, 10 + n),
        )
        delivery_services.delivery_record(
            contract=contract,
            actor=desk,
            quarter=first.index,
            delivered_on=timezone.localdate() - datetime.timedelta(days=3),
            quantity_t=D("4.5"),
            provisional_price=D("1234567.89"),
            assay="LiOH 56,7 %, CO3 0,6 %, Fe 8 ppm",
        )
        draft = allocation_services.allocation_preview(contract=contract, actor=desk)
        rounds.append(
            allocation_services.allocation_release(
                allocation_round=draft,
                actor=desk,
                respond_by=now + datetime.timedelta(days=7 + n),
            )
        )
        contracts.append(contract)
    return {"round": round, "rounds": rounds, "contracts": contracts, "firm": firm_a}


def states(allocation_round, firm):
    from contracts.models import Allocation

    return list(
        Allocation.objects.filter(allocation_round=allocation_round, organisation=firm)
        .order_by("quarter")
        .values_list("state", flat=True)
    )


def no_page_overflow(page, width=390):
    page.set_viewport_size({"width": width, "height": 900})
    scroll = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


TEXT = {
    "de": {
        "answer": "OFF-ANTWORT-1 beantworten",
        "send": "Antworten senden",
        "problem": "Es gibt ein Problem",
        "confirm_all": f"Alle {QUARTERS} Quartale bestätigen",
        "done": "Alle Quartale dieses Vertrags sind beantwortet.",
        "decline": "Ablehnen",
        "confirm": "Bestätigen",
    },
    "en": {
        "answer": "Answer OFF-ANTWORT-1",
        "send": "Send answers",
        "problem": "There is a problem",
        "confirm_all": f"Confirm all {QUARTERS} quarters",
        "done": "Every quarter of this contract is answered.",
        "decline": "Decline",
        "confirm": "Confirm",
    },
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_member_answers_a_whole_contract_in_one_step(
    browser_login, live_server, page, member_a, two_contracts, assert_accessible, lang
):
    text = TEXT[lang]
    first, second = two_contracts["rounds"]
    firm = two_contracts["firm"]
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(member_a)
    page.goto(f"{live_server.url}/contracts/allocations/")
    expect(page.locator("[data-testid=open-contracts] tbody tr")).to_have_count(2)
    click_and_load(page, f"a:has-text('{text['answer']}')")
    expect(page.locator("[data-testid=answer-table] tbody tr")).to_have_count(QUARTERS)
    assert_accessible(page, "answer page")
    no_page_overflow(page)

    # Sent without a choice: the summary says what to fix, has the focus, and links the field.
    click_and_load(page, "[data-testid=send-answers]")
    summary = page.locator("[data-testid=error-summary]")
    expect(summary).to_contain_text(text["problem"])
    expect(summary).to_be_focused()
    assert_accessible(page, "answer page with an error")
    summary.locator("a").first.click()
    expect(page.locator("[data-testid=answer-table] input[type=radio]").first).to_be_focused()
    assert set(states(first, firm)) == {"proposed"}

    # One step: every quarter confirmed.
    click_and_load(page, "[data-testid=confirm-all-button]")
    assert states(first, firm) == ["confirmed"] * QUARTERS
    expect(page.locator("[data-testid=all-answered]")).to_contain_text(text["done"])
    expect(page.locator("[data-testid=answer-table] .badge--confirmed")).to_have_count(QUARTERS)
    assert_accessible(page, "answered")

    # The next contract is linked; there the member declines one quarter and confirms two.
    click_and_load(page, "[data-testid=next-contract]")
    expect(page.locator("h1")).to_contain_text("OFF-ANTWORT-2")
    rows = page.locator("[data-testid=answer-table] tbody tr")
    rows.nth(0).get_by_label(text["decline"], exact=True).check()
    rows.nth(1).get_by_label(text["confirm"], exact=True).check()
    rows.nth(2).get_by_label(text["confirm"], exact=True).check()
    page.once("dialog", lambda dialog: dialog.accept())  # declining asks once more
    click_and_load(page, "[data-testid=send-answers]")
    assert states(second, firm)[:4] == ["declined", "confirmed", "confirmed", "proposed"]
    expect(page.locator("[data-testid=confirm-all-button]")).to_contain_text(str(QUARTERS - 3))
    assert_accessible(page, "partly answered")


PAGES_AT_1366 = [
    ("desk", "/rounds/{round}/screening/"),
    ("desk", "/contracts/{contract}/"),
    ("desk", "/contracts/{contract}/allocation/"),
    ("desk", "/contracts/{contract}/schedule/"),
    ("desk", "/contracts/due/"),
    ("desk", "/contracts/"),  # the signing date was cut in German, in a ninth column
    ("desk", "/materials/"),  # "strategisch und kritisch" pushed the CRMA column out of sight
    ("desk", "/account/tokens/"),
    ("member", "/contracts/allocations/"),
    ("member", "/contracts/allocations/contract/{allocation_round}/"),
    ("member", "/contracts/allocations/{share}/"),
    ("member", "/account/tokens/"),
]

TABLES = """() => [...document.querySelectorAll('main table')].map(t => {
  const wrap = t.closest('.table-wrap');
  return {
    table: t.querySelector('caption') ? t.querySelector('caption').textContent.trim() : t.className,
    width: t.scrollWidth,
    room: wrap ? wrap.clientWidth : null,
    region: wrap ? [wrap.getAttribute('tabindex'), wrap.getAttribute('role'), !!wrap.getAttribute('aria-label'),
                    getComputedStyle(wrap).position] : null,
  };
})"""


@pytest.mark.parametrize("lang", ["de", "en"])
def test_tables_fit_at_1366_and_pages_at_390(
    browser_login, live_server, page, desk, member_a, two_contracts, lang
):
    from contracts.models import Allocation
    from rohstoff.core.services import api_token_create

    for user in (desk, member_a):
        for name in ("ERP-Schnittstelle SAP S/4HANA Produktion Werk Schwarzwald", "Skript"):
            api_token_create(user=user, name=name)
    share = (
        Allocation.objects.filter(
            allocation_round=two_contracts["rounds"][0], organisation=two_contracts["firm"]
        )
        .order_by("quarter")
        .first()
    )
    ids = {
        "round": two_contracts["round"].pk,
        "contract": two_contracts["contracts"][0].pk,
        "allocation_round": two_contracts["rounds"][0].pk,
        "share": share.pk,
    }
    problems, checked = [], 0
    for role, user in (("desk", desk), ("member", member_a)):
        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "django_language", "value": lang, "url": live_server.url}]
        )
        browser_login(user)
        for who, path in PAGES_AT_1366:
            if who != role:
                continue
            url = live_server.url + path.format(**ids)
            assert page.goto(url).status == 200, url
            for t in page.evaluate(TABLES):
                checked += 1
                if t["room"] is None:
                    problems.append(f"{path}: table {t['table']} is not in a .table-wrap")
                elif t["width"] > t["room"]:
                    problems.append(f"{path}: {t['table']} is {t['width']} px in {t['room']} px")
                elif t["region"] != ["0", "region", True, "relative"]:
                    problems.append(f"{path}: {t['table']}'s region is {t['region']}")
            page.set_viewport_size({"width": 390, "height": 900})
            page.reload()
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > 390:
                problems.append(f"{path}: {scroll} px wide at 390 px")
            page.set_viewport_size({"width": 1366, "height": 900})
    assert not problems, "\n".join(problems)
    assert checked >= len(PAGES_AT_1366)  # every page above has at least one table


@pytest.mark.parametrize("lang", ["de", "en"])
def test_on_a_phone_the_members_lists_are_cards_under_their_column_names(
    browser_login, live_server, page, member_a, make_user, two_contracts, assert_accessible, lang
):
    """At 390 px a member's lists (allocations, rounds, own contracts, team) show each record as
    a card: every value under its column's own heading, links and buttons on the screen, and a
    name too long for one line makes its row taller instead of running into the next."""
    from industry.reported import services as reported_services
    from rohstoff.core.models import Material

    reported_services.reported_contract_create(
        actor=member_a,
        material=Material.objects.get(code="lithium-hydroxide"),
        origin_country="AU",
        unit="t",
        supplier_name="Pilbara Minerals",
        volumes=[("2027-Q1", D("100")), ("2027-Q2", D("120"))],
    )
    admin = make_user("member_admin", org=member_a.organisation, email="admin@firm-a.example")
    page.set_viewport_size({"width": 390, "height": 844})
    problems, cards = [], 0
    for user, paths in (
        (member_a, ["/contracts/allocations/", "/rounds/", "/reported-contracts/"]),
        (admin, ["/team/"]),
    ):
        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "django_language", "value": lang, "url": live_server.url}]
        )
        browser_login(user)
        for path in paths:
            assert page.goto(live_server.url + path).status == 200, path
            cards += page.locator("main table.table--cards tbody tr").count()
            problems += [f"{path}: {p}" for p in card_problems(page)]
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            assert_accessible(page, f"{path} on a phone")
    assert not problems, "\n".join(problems)
    assert cards >= 2 * QUARTERS + 4  # both contracts' shares, a round, a contract, two people

    # A column name too long for one line ("Delivered to you (t)" wraps at some font sizes)
    # makes its row taller, whatever the font: the same cell measured with a one-word name and
    # with a name of several lines.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(member_a)
    page.goto(f"{live_server.url}/contracts/allocations/")
    cell = page.locator("[data-testid=my-allocations] tbody tr").first.locator("td").nth(1)
    height_with = "(c, name) => { c.dataset.label = name; return c.offsetHeight; }"
    one_line = cell.evaluate(height_with, "Q")
    several = cell.evaluate(height_with, "Delivered to you from the contract's deliveries (t)")
    assert several > 1.5 * one_line


@pytest.mark.parametrize("lang", ["de", "en"])
def test_on_a_phone_the_desks_shares_schedule_and_schedule_form_are_cards(
    browser_login, live_server, page, desk, two_contracts, assert_accessible, lang
):
    """At 390 px the desk works through a quarter's shares as a card per firm (its change form
    in the card, a card without anything to change leaves the row out), reads the contract's
    delivery schedule as a card per quarter folded under its totals, and enters the schedule
    as a card per year with a field per quarter: as rows of six to eight columns the states,
    the prices and the later quarters' fields were beyond the screen's edge."""
    from contracts.models import Allocation

    contract, allocation_round = two_contracts["contracts"][0], two_contracts["rounds"][0]
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(desk)
    base = f"{live_server.url}/contracts/{contract.pk}"

    page.goto(f"{base}/allocation/")  # the first quarter's shares
    first = Allocation.objects.filter(allocation_round=allocation_round).order_by("quarter")[0]
    firms = Allocation.objects.filter(
        allocation_round=allocation_round, quarter=first.quarter
    ).count()
    expect(page.locator("[data-testid=allocation-shares] tbody tr")).to_have_count(firms)
    assert cards_on_a_phone(page) == firms
    assert_accessible(page, f"allocation ({lang})")

    page.goto(f"{base}/")
    quarters = contract.schedule.count()
    assert fold_state(page, "schedule") == {"open": True, "summary": False}
    assert cards_on_a_phone(page) >= quarters > 0  # and the deliveries
    page.set_viewport_size(PHONE)
    page.reload()
    assert fold_state(page, "schedule") == {"open": False, "summary": True}
    expect(page.get_by_test_id("schedule")).to_be_hidden()
    assert_accessible(page, f"contract on a phone ({lang})")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{base}/schedule/")
    years = {q // 4 for q in contract.schedule.values_list("quarter", flat=True)}
    assert cards_on_a_phone(page) == len(years)
    labels = page.locator("[data-testid=schedule-grid] tbody td[data-label]").evaluate_all(
        "tds => tds.map(td => td.dataset.label)"
    )
    assert labels and set(labels) <= {"Q1", "Q2", "Q3", "Q4"}
