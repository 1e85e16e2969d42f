"""Contracts members reported as concluded themselves, in the positions: each cell counts them as
covered by members directly (a firm's at most its own demand), open tonnes and coverage include
them, and other readers see the figure only through disclosure control (docs/reported-contracts.md)."""

import re
from decimal import Decimal

import pytest

from industry.models import ReportedContract, ReportedQuarter
from rohstoff.core.models import Material
from tradinghouse import selectors
from tradinghouse.disclosure import present_cell

from .conftest import cell, q

D = Decimal
LIOH = "lithium-hydroxide"


@pytest.fixture
def five_firm_round(make_round, firms, add_line, aggregate):
    """Eight firms with 10 t of firm lithium hydroxide demand in 2027-Q1 and Q2 each."""
    r = make_round(first="2027-Q1", last="2027-Q4")
    for firm in firms:
        add_line(r, firm, LIOH, "2027-Q1", 10, commitment="firm")
        add_line(r, firm, LIOH, "2027-Q2", 10, commitment="firm")
    job = aggregate(r)
    assert job.state == "succeeded", job.error
    return r


def report(firm, user, tonnes_by_period: dict, material=LIOH) -> ReportedContract:
    contract = ReportedContract.objects.create(
        organisation=firm,
        reported_by=user,
        material=Material.objects.get(code=material),
        origin_country="CL",
    )
    for period, tonnes in tonnes_by_period.items():
        ReportedQuarter.objects.create(
            contract=contract, quarter=q(period), quantity=D(tonnes), quantity_t=D(tonnes)
        )
    return contract


def view(user, round, period):
    cells = selectors.position_cells(user=user, round=round)
    return next(c for c in cells if c.period == period and c.material.code == LIOH)


def test_reported_tonnes_count_as_covered_directly_and_open_shrinks(
    five_firm_round, firms, desk, ministry, member_a, analyst, aggregate
):
    for firm in firms[:5]:
        report(firm, desk, {"2027-Q1": "4"})
    aggregate(five_firm_round)
    c = cell(five_firm_round, LIOH, "2027-Q1")
    assert (c.demand_t, c.covered_directly_t, c.direct_reporters) == (D("80"), D("20"), 5)
    assert c.direct_disclosed
    assert (c.open_t, c.coverage) == (D("60"), D("0.2500"))
    # Five firms reported equal tonnes: everyone sees the figure, and open and coverage with it.
    for reader in (desk, ministry, member_a, analyst):
        v = view(reader, five_firm_round, "2027-Q1")
        assert (v.covered_directly_t, v.open_t, v.coverage) == (D("20"), D("60"), D("0.2500"))
    # A quarter nobody reported into shows zero, which reveals nothing.
    assert view(ministry, five_firm_round, "2027-Q2").covered_directly_t == D("0")


def test_a_firm_covers_at_most_its_own_demand(five_firm_round, firms, desk, aggregate):
    report(firms[0], desk, {"2027-Q1": "25"})  # more than its 10 t
    aggregate(five_firm_round)
    assert cell(five_firm_round, LIOH, "2027-Q1").covered_directly_t == D("10")


def test_a_single_reporter_is_hidden_from_everyone_but_the_desk(
    five_firm_round, firms, desk, ministry, member_a, member_b, analyst, aggregate
):
    report(firms[3], desk, {"2027-Q1": "6"})
    aggregate(five_firm_round)
    c = cell(five_firm_round, LIOH, "2027-Q1")
    assert c.disclosed and c.firm_disclosed  # the cell itself is shown
    assert (c.covered_directly_t, c.direct_reporters, c.direct_disclosed) == (D("6"), 1, False)
    desk_view = view(desk, five_firm_round, "2027-Q1")
    assert (desk_view.covered_directly_t, desk_view.open_t) == (D("6"), D("74"))
    for reader in (ministry, member_a, member_b, analyst):
        v = view(reader, five_firm_round, "2027-Q1")
        # Neither the figure nor open tonnes or coverage give the one firm's contract away.
        assert v.covered_directly_t is None
        assert (v.demand_t, v.open_t, v.coverage) == (D("80"), D("80"), D("0.0000"))
    # The same in the one disclosure path for documents that travel (briefing).
    published = selectors.published_cells(round=five_firm_round)
    assert next(c for c in published if c.period == "2027-Q1").covered_directly_t is None


def test_four_reporters_of_five_needed_stay_hidden(five_firm_round, firms, desk, aggregate):
    for firm in firms[:4]:
        report(firm, desk, {"2027-Q1": "3"})
    aggregate(five_firm_round)
    c = cell(five_firm_round, LIOH, "2027-Q1")
    assert (c.direct_reporters, c.direct_disclosed) == (4, False)
    assert present_cell(c, trustee=False).covered_directly_t is None


def test_hidden_wherever_the_cell_is_hidden(make_round, firms, add_line, aggregate, desk, ministry):
    r = make_round(first="2027-Q1", last="2027-Q4")
    for firm in firms[:3]:  # three firms: the cell is hidden
        add_line(r, firm, LIOH, "2027-Q1", 10, commitment="firm")
        report(firm, desk, {"2027-Q1": "5"})
    # Even five reporters would not show it: the figure follows the cell.
    aggregate(r)
    c = cell(r, LIOH, "2027-Q1")
    assert not c.disclosed and not c.direct_disclosed
    assert view(ministry, r, "2027-Q1").covered_directly_t is None


def test_a_change_by_one_firm_is_not_shown_by_subtraction(
    five_firm_round, firms, desk, ministry, aggregate
):
    for firm in firms[:5]:
        report(firm, desk, {"2027-Q1": "4"})
    aggregate(five_firm_round)
    assert view(ministry, five_firm_round, "2027-Q1").covered_directly_t == D("20")
    # A sixth firm reports: the new total passes the rule, but new minus old is that firm's contract.
    report(firms[5], desk, {"2027-Q1": "4"})
    aggregate(five_firm_round)
    c = cell(five_firm_round, LIOH, "2027-Q1")
    assert (c.covered_directly_t, c.direct_reporters, c.direct_disclosed) == (D("24"), 6, False)
    assert view(ministry, five_firm_round, "2027-Q1").covered_directly_t is None


def _direct_cell(html: str, period: str) -> str:
    row = re.search(rf'data-testid="cell-{LIOH}-{period}".*?</tr>', html, re.S).group(0)
    return re.search(r'data-testid="direct"[^>]*>(.*?)</td>', row, re.S).group(1)


def test_the_tables_show_the_figure_only_where_disclosed(
    five_firm_round, firms, desk, ministry, member_b, login, aggregate
):
    report(firms[3], desk, {"2027-Q1": "6"})
    aggregate(five_firm_round)
    url = f"/positions/rounds/{five_firm_round.pk}/"
    for reader in (ministry, member_b):
        html = login(reader).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert _direct_cell(html, "2027-Q1") == "not disclosed"
        assert _direct_cell(html, "2027-Q2") == "0\xa0t"
        html = login(reader).get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert _direct_cell(html, "2027-Q1") == "nicht offengelegt"
    html = login(desk).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _direct_cell(html, "2027-Q1").startswith("6\xa0t")
    assert "hidden" in _direct_cell(html, "2027-Q1")
