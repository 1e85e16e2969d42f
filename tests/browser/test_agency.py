"""The agency's workplace in a real browser, in German, end to end: the analyst opens a project,
creates an equity proposal with its capital table and offtake right, uploads and accepts every
document, moves it to the committee; two approvers, each signed in with the second factor,
approve it; the desk finds the draft offtake contract the approval created. Then the portfolio
counts the stake, for the agency and (as totals) for the ministry. Every page passes axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import cards_on_a_phone, facts_broken_on_a_phone
from tests.browser.navigation import click_and_load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PDF = b"%PDF-1.4\n% Rohstoff browser test\n%%EOF\n"


@pytest.fixture
def setting(desk, analyst):
    """A lithium project (capex EUR 400 m, 20,000 t/yr of LiOH.H2O from 2028) and an open demand
    round that collects lithium hydroxide for the offtake right's years."""
    from agency.projects.services import project_save
    from industry.models import DemandRound
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Quarter

    lioh = Material.objects.get(code="lithium-hydroxide")
    project = project_save(
        actor=analyst,
        name="Whabouchi Lithium",
        operator="Nemaska Lithium Inc.",
        country="CA",
        stage="construction",
        capex=Decimal("400000000"),
        capex_currency="EUR",
        capacities=[
            {
                "material": lioh,
                "capacity_t_per_year": Decimal("20000"),
                "production_start_year": 2028,
            }
        ],
    )
    now = timezone.now()
    round_ = DemandRound.objects.create(
        title="Lithium 2028-2032",
        first_quarter=Quarter(2028, 1).index,
        last_quarter=Quarter(2032, 4).index,
        opens_at=now - datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=30),
        state="open",
        created_by=desk,
    )
    round_.materials.set([lioh])
    return {"project": project, "lioh": lioh}


@pytest.fixture
def approver2(make_user, make_org):
    return make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver2@agency.example"
    )


def sign_out(page):
    page.context.clear_cookies()


def stage(page) -> str:
    return page.get_by_test_id("proposal-stage").inner_text().strip()


def test_agency_proposal_to_committee_four_eyes_and_the_desks_draft_contract(
    browser_login,
    live_server,
    analyst,
    approver,
    approver2,
    desk,
    ministry,
    setting,
    assert_accessible,
):
    from agency.models import StakeProposal
    from contracts.models import OfftakeContract

    base = live_server.url
    project = setting["project"]
    page = browser_login(analyst)
    page.on("dialog", lambda dialog: dialog.accept())

    # The project's page, in German, with its capacity; from there a new proposal.
    page.goto(f"{base}/agency/projects/")
    click_and_load(page, page.get_by_role("link", name="Whabouchi Lithium"))
    expect(page.locator("h1")).to_have_text("Whabouchi Lithium")
    expect(page.get_by_role("heading", name="Kapazität je Rohstoff")).to_be_visible()
    assert_accessible(page, "project page")
    click_and_load(page, page.get_by_role("link", name="Neuer Antrag"))
    assert_accessible(page, "proposal form")
    page.select_option("select[name=instrument]", "equity")
    page.fill("input[name=amount]", "100.000.000")
    page.select_option("select[name=currency]", "EUR")
    page.fill("input[name=equity_share_pct]", "25")
    page.fill("input[name=cap-0-shareholder]", "Nemaska Gründer")
    page.fill("input[name=cap-0-share_pct]", "45")
    page.fill("input[name=cap-1-shareholder]", "Rohstoffagentur")
    page.fill("input[name=cap-1-share_pct]", "25")
    page.check("input[name=cap-1-is_agency]")
    page.fill("input[name=cap-2-shareholder]", "Streubesitz")
    page.fill("input[name=cap-2-share_pct]", "30")
    page.select_option("select[name=offtake_material]", str(setting["lioh"].pk))
    page.fill("input[name=offtake_t_per_year]", "5.000")
    page.fill("input[name=offtake_first_year]", "2028")
    page.fill("input[name=offtake_last_year]", "2032")
    click_and_load(page, page.get_by_role("button", name="Antrag anlegen"))
    proposal = StakeProposal.objects.get(project=project)
    assert page.url.startswith(f"{base}/agency/proposals/{proposal.pk}/")
    assert stage(page) == "Entwurf"

    # Every document of the checklist: upload, then accept.
    items = list(proposal.documents.order_by("item").values_list("pk", flat=True))
    assert items
    for pk in items:
        page.set_input_files(
            f"#file-{pk}", {"name": "unterlage.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        click_and_load(page, f"form[action$='/proposal-documents/{pk}/upload/'] button")
        click_and_load(page, f"form[action$='/proposal-documents/{pk}/review/'] button")
    assert set(proposal.documents.values_list("status", flat=True)) == {"accepted"}
    assert_accessible(page, "proposal with documents")
    # On a phone each document is a card, its upload and review buttons on the screen.
    assert cards_on_a_phone(page) == len(items)

    # Through the review stages to the committee.
    for _step in range(6):
        if stage(page) == "Ausschuss":
            break
        click_and_load(page, f"form[action$='/proposals/{proposal.pk}/advance/'] button")
    assert stage(page) == "Ausschuss"
    sign_out(page)

    # Two approvers, each with the second factor, approve the version they read.
    for approver_user in (approver, approver2):
        browser_login(approver_user)
        page.goto(f"{base}/agency/proposals/{proposal.pk}/")
        assert_accessible(page, "committee")
        click_and_load(page, f"form[action$='/proposals/{proposal.pk}/approve/'] button")
        sign_out(page)
    proposal.refresh_from_db()
    assert proposal.stage == "approved"
    contract = OfftakeContract.objects.get(stake=proposal)
    assert contract.state == "draft" and contract.counterparty.name == "Nemaska Lithium Inc."

    # The desk finds the draft contract among the approved stakes' offtake rights.
    browser_login(desk)
    page.goto(f"{base}/agency/offtake-rights/")
    rights = page.get_by_test_id("offtake-rights")
    expect(rights).to_contain_text("Whabouchi Lithium")
    expect(rights).to_contain_text("5.000 t")
    expect(rights).not_to_contain_text("100.000.000")  # nothing of the stake but its right
    assert_accessible(page, "offtake rights")
    assert cards_on_a_phone(page) == 1
    click_and_load(page, rights.get_by_role("link", name=contract.reference))
    expect(page.locator("h1")).to_contain_text(contract.reference)
    expect(page.locator("main")).to_contain_text("Entwurf")
    sign_out(page)

    # The project's page lists the approved stake; on a phone its capacities, ESG screen and
    # stakes are cards, none cut at the screen's edge.
    browser_login(analyst)
    page.goto(f"{base}/agency/projects/{project.pk}/")
    stakes = page.get_by_test_id("project-stakes").locator("tbody tr")
    expect(stakes).to_have_count(1)
    rows = page.locator("[data-testid=capacities] tbody tr, [data-testid=esg-screen] tbody tr")
    assert cards_on_a_phone(page) == rows.count() + 1
    assert_accessible(page, "project with its stake")
    # Its monitoring page: the quarterly reports, cards too.
    page.goto(f"{base}/agency/stakes/{proposal.pk}/monitoring/")
    assert cards_on_a_phone(page) == 1  # no report yet: the empty list's card
    assert_accessible(page, "monitoring")

    # The portfolio counts the stake: the agency sees it, the ministry its totals.
    page.goto(f"{base}/agency/portfolio/")
    expect(page.get_by_test_id("portfolio-stakes")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("Whabouchi Lithium")
    assert_accessible(page, "portfolio")
    # On a phone every total and the stake are cards, no amount cut at the screen's edge (one row
    # each by material, country, instrument and stage, and the stake), and the summary's amounts
    # ("100.000.000,00 EUR") each on one line.
    assert cards_on_a_phone(page) == 5
    assert facts_broken_on_a_phone(page) == []
    sign_out(page)
    browser_login(ministry)
    page.goto(f"{base}/agency/portfolio/")
    expect(page.get_by_test_id("portfolio-material")).to_contain_text("100.000.000,00")
    expect(page.locator("main")).not_to_contain_text("Whabouchi")
    assert_accessible(page, "ministry portfolio")
    assert cards_on_a_phone(page) == 3  # by material, country and instrument


@pytest.mark.parametrize("lang", ["de", "en"])
def test_on_a_phone_the_stockpile_and_the_proposals_are_cards(
    browser_login, live_server, page, analyst, setting, assert_accessible, lang
):
    """At 390 px the stockpile's days of cover and holdings, and the list of stake proposals, are
    a card per material, holding and proposal, every figure under its column's name on the
    screen: as rows of four to seven columns the days of cover, the band, the stage and the
    amounts were beyond the screen's edge."""
    from agency.stakes.services import proposal_create
    from agency.stockpile.models import Holding, Location
    from tests.agency.stakes.conftest import equity_data

    lioh = setting["lioh"]
    for name in ("Lager Duisburg", "Zolllager Hamburg-Waltershof"):
        location = Location.objects.create(name=name, country="DE")
        Holding.objects.create(location=location, material=lioh, quantity_t=Decimal("1250.5"))
    proposal_create(actor=analyst, **equity_data(setting["project"], lioh))
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    browser_login(analyst)
    page.goto(f"{live_server.url}/agency/stockpile/")
    expect(page.get_by_test_id("cover-table")).to_contain_text("2.501" if lang == "de" else "2,501")
    # one material with stock, and the two holdings
    assert cards_on_a_phone(page) == 3
    assert_accessible(page, f"stockpile ({lang})")
    page.goto(f"{live_server.url}/agency/proposals/")
    expect(page.get_by_test_id("proposals")).to_contain_text("Whabouchi Lithium")
    assert cards_on_a_phone(page) == 1
    assert_accessible(page, f"proposals ({lang})")
    # A new proposal's capital table (name, share, the agency's box) fits the phone: at their
    # wide-screen widths the fields were 96 px wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/agency/proposals/new/")
    wrap = page.locator("table.cap-table").locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth - w.clientWidth") <= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
