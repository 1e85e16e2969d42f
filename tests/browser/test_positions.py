"""Positions in a real browser: the desk closes a round on the round page and watches the
aggregation's progress bar finish (a real Celery worker on Redis runs the job); a member then sees
its share where disclosure allows and a hidden cell where not. Every positions page passes axe-core,
in German and English."""

import datetime
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.cards import cards_on_a_phone, fold_state, unfold
from tests.browser.navigation import click_and_load

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_round(desk, firm_a, make_org):
    """An open round whose positions will have a disclosed lithium cell with firm A in it and a
    hidden one (2028-Q1: three firms), built with the ORM."""
    from industry.models import DemandLine, DemandRound
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Period, Quarter
    from rohstoff.core.units import to_tonnes

    now = timezone.now()
    round = DemandRound.objects.create(
        title="Runde im Browser",
        first_quarter=Quarter(2027, 1).index,
        last_quarter=Quarter(2028, 4).index,
        opens_at=now - datetime.timedelta(days=7),
        closes_at=now + datetime.timedelta(days=7),
        state="open",
        created_by=desk,
    )
    lioh = Material.objects.get(code="lithium-hydroxide")
    round.materials.set([lioh])
    firms = [firm_a] + [make_org(f"Browserfirma {i}", "member") for i in range(1, 6)]

    def line(org, period, tonnes):
        p = Period.parse(period)
        DemandLine.objects.create(
            round=round,
            organisation=org,
            material=lioh,
            period=str(p),
            first_quarter=p.first.index,
            is_year=p.is_year,
            quantity=Decimal(tonnes),
            unit="t",
            quantity_t=to_tonnes(Decimal(tonnes), "t"),
            commitment="firm",
            entered_by=desk,
        )

    for org, tonnes in zip(firms, ("40", "44", "48", "52", "56", "60"), strict=True):
        line(org, "2027", tonnes)
    for org in firms[:3]:
        line(org, "2028-Q1", "5")
    return round


def test_desk_closes_the_round_watches_the_progress_and_a_member_sees_its_share(
    celery_worker_redis,
    live_server,
    page,
    browser_login,
    assert_accessible,
    open_round,
    desk,
    member_a,
    ministry,
    analyst,
    monkeypatch,
):
    from tradinghouse.aggregation import pooling

    original = pooling.cell_statistics

    def slow_cell_statistics(*args, **kwargs):  # long enough for the page to show the running job
        time.sleep(2.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(pooling, "cell_statistics", slow_cell_statistics)
    page.on("dialog", lambda dialog: dialog.accept())

    browser_login(desk)
    page.goto(live_server.url + reverse("industry:round_detail", args=[open_round.pk]))
    click_and_load(page, "[data-testid=round-close]")
    progress = page.locator("[data-testid=aggregation-progress]")
    expect(progress).to_be_visible(timeout=15000)
    assert_accessible(page, "round page with the running aggregation")
    done = page.locator("[data-testid=aggregation-done]")
    expect(done).to_be_visible(timeout=30000)
    expect(progress).to_have_count(0)
    # hidden: 2028-Q1 (three firms) and 2027-Q1 (the complementary cell of that row)
    expect(page.locator("[data-testid=panel-hidden]")).to_have_text("2")
    click_and_load(page, "[data-testid=positions-dashboard-link]")
    # the table of every position is folded below the key figures and charts (docs/charts.md)
    expect(page.locator("[data-testid=positions-table]")).to_be_hidden()
    page.locator("[data-testid=all-positions] summary").click()
    expect(page.locator("[data-testid=positions-table]")).to_be_visible()
    # At 1366 px the desk's twelve columns fit beside the navigation, the disclosure decisions
    # in sight (they were cut at the region's edge) and each quarter on one line.
    table = page.get_by_test_id("positions-table")
    assert table.evaluate("t => t.scrollWidth - t.closest('.table-wrap').clientWidth") <= 0
    quarter = table.locator("tbody th[scope=row]").first
    lines = "th => { const r = document.createRange(); r.selectNodeContents(th); return r.getClientRects().length; }"
    assert quarter.evaluate(lines) == 1
    expect(page.locator("[data-chart=demand-figure] .main-svg").first).to_be_attached()
    assert_accessible(page, "desk dashboard (de)")
    # The demand per material and quarter: beside its chart on a wide screen, folded under it on
    # a phone, and a card per quarter there with its three tonnages in sight.
    assert fold_state(page, "demand-table") == {"open": True, "summary": False}
    quarters = page.locator("[data-testid=demand-table] tbody th[scope=row]").count()
    # Every position, and the element roll-up, a card each on a phone too: in twelve columns
    # everything after the demand was beyond the screen's edge.
    cells = page.locator("[data-testid=positions-table] tbody th[scope=row]").count()
    elements = page.locator("[data-testid=element-table] tbody th[scope=row]").count()
    assert quarters > 0 and cells > 0 and elements > 0
    assert cards_on_a_phone(page) >= quarters + cells + elements
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fold_state(page, "demand-table") == {"open": False, "summary": True}
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()

    page.context.clear_cookies()
    browser_login(member_a)
    page.goto(live_server.url + reverse("tradinghouse:round_dashboard", args=[open_round.pk]))
    share = page.locator("[data-testid=share-lithium-hydroxide]")
    # own 10 t of 75 t in each of the three disclosed quarters of 2027 (Q1 is hidden as the
    # complementary cell of 2028-Q1): 30 t of 225 t = 13.3 %
    expect(share).to_contain_text("13,3\u00a0%")
    hidden = page.locator("[data-testid=row-lithium-hydroxide-2028-Q1] [data-testid=hidden-cell]")
    expect(hidden).to_have_text("nicht offengelegt")
    expect(page.locator("[data-chart=member-figure] .main-svg").first).to_be_attached()
    assert "75,000" not in page.locator("[data-testid=row-lithium-hydroxide-2028-Q1]").inner_text()
    assert_accessible(page, "member dashboard (de)")
    # The pooled positions a card per quarter on a phone, the hidden quarter's text a line of
    # its own in its card.
    cells = page.locator("[data-testid=positions-table] tbody th[scope=row]").count()
    assert cells > 0 and cards_on_a_phone(page) >= cells
    click_and_load(page, "[data-testid=language-switch]")
    expect(share).to_contain_text(
        "Your share of the pooled Lithium hydroxide monohydrate is 13.3\u00a0%"
    )
    assert_accessible(page, "member dashboard (en)")
    # On a phone each panel's material name starts at the chart's edge and is whole (from the
    # plot's edge, past the axis margin, a long name ran off the chart).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    chart = page.locator("[data-chart=member-figure]")
    expect(chart).to_have_attribute("data-chart-drawn", "true")
    box, name = chart.bounding_box(), chart.locator(".annotation").first.bounding_box()
    assert box["x"] <= name["x"] < box["x"] + 16
    assert name["x"] + name["width"] <= box["x"] + box["width"]
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("tradinghouse:position_overview"))
    assert_accessible(page, "positions overview (en)")

    for user, name, folded in (
        (ministry, "ministry dashboard", "pooled-positions"),
        (analyst, "agency dashboard", "all-positions"),
    ):
        page.context.clear_cookies()
        browser_login(user)
        page.goto(live_server.url + reverse("tradinghouse:round_dashboard", args=[open_round.pk]))
        page.locator(f"[data-testid={folded}] summary").click()
        expect(page.locator("[data-testid=positions-table]")).to_be_visible()
        assert_accessible(page, name)
        if user is ministry:
            # On a phone the ministry's coverage table is a card per quarter, and the largest
            # open positions a card each: their coverage was cut at the screen's edge.
            quarters = page.locator("[data-testid=coverage-table] tbody th[scope=row]").count()
            largest = page.locator("[data-testid=open-table] tbody tr").count()
            assert quarters > 0 and largest > 0
            assert cards_on_a_phone(page) >= quarters + largest
            # Beside its chart the coverage table is open; on a phone it is folded under the
            # chart, so that the largest open positions are not thousands of pixels down.
            assert fold_state(page, "coverage-table") == {"open": True, "summary": False}
            page.set_viewport_size({"width": 390, "height": 844})
            page.reload()
            assert fold_state(page, "coverage-table") == {"open": False, "summary": True}
            chart = page.locator("[data-chart=coverage-figure]")
            expect(chart).to_have_attribute("data-chart-drawn", "true")
            top = (
                "t => t.getBoundingClientRect().top + window.scrollY"  # on the page, not the screen
            )
            below = page.get_by_test_id("open-table").evaluate(top)
            unfold(page, "coverage-table")
            expect(page.get_by_test_id("coverage-table")).to_be_visible()
            # Opened by its reader, it stays open when the phone turns and turns back.
            page.set_viewport_size({"width": 844, "height": 390})
            page.set_viewport_size({"width": 390, "height": 844})
            assert fold_state(page, "coverage-table") == {"open": True, "summary": True}
            height = page.get_by_test_id("coverage-table").bounding_box()["height"]
            assert page.get_by_test_id("open-table").evaluate(top) >= below + height
            page.set_viewport_size({"width": 1366, "height": 900})
