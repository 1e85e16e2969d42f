"""The desk's allocation page at any size (issue 14, docs/allocation.md "The desk's page"): the
quarters' totals in one table, one quarter's shares a page at a time by firm name, a firm search,
and back to the share's own page after changing it. A national round (5,000 firms x 20 quarters)
rendered every share with its forms on one page: 40 s and 120 MB."""

import re
from decimal import Decimal

import pytest

from contracts.allocations import selectors
from contracts.allocations import services as allocation_services
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index
QUARTERS = [Q1, Q1 + 1, Q1 + 2, Q1 + 3]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(selectors, "SHARES_PAGE_SIZE", 2)


@pytest.fixture
def draft(make_contract, sign, desk, positions, firms, lioh):
    # Five firms of 6 t each a quarter, 10 t scheduled a quarter: every firm gets 2 t.
    positions(dict.fromkeys(firms, D("6")), lioh, QUARTERS)
    contract = sign(make_contract(annual_volume_t=D("40")))
    return allocation_services.allocation_preview(contract=contract, actor=desk)


def _firms_on(html: str, firms) -> list[str]:
    shown = [f.name for f in firms if f">{f.name}</th>" in html]
    return sorted(shown, key=html.index)


def _page(client, draft, **query) -> str:
    """The desk's allocation page of ``draft`` in English, with ``query`` (quarter, firm, page)."""
    response = client.get(
        f"/contracts/{draft.contract_id}/allocation/", query, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    return response.content.decode()


def _refused_override(client, share, query="") -> str:
    """The page after an override above the firm's demand (6 t asked, 60 t set): refused."""
    response = client.post(
        f"/contracts/allocations/{share.pk}/override/{query}",
        {"quantity_t": "60", "reason": "Engpass"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_quarters_and_the_first_quarters_shares_by_firm_name(
    login, desk, draft, firms, small_pages
):
    client = login(desk)
    html = _page(client, draft)
    for quarter in QUARTERS:
        assert f'id="q{quarter}"' in html
    assert "Shares in 2027-Q1" in html
    assert _firms_on(html, firms) == ["Firma 1 GmbH", "Firma 2 GmbH"]
    assert "5 firms have a share in this quarter. Shown: 1–2, by firm name." in html
    html = _page(client, draft, quarter="2027-Q3", page=2)
    assert "Shares in 2027-Q3" in html
    assert _firms_on(html, firms) == ["Firma 3 GmbH", "Firma 4 GmbH"]
    assert 'href="?quarter=2027-Q3#shares" aria-current="true"' in html
    html = _page(client, draft, quarter="2027-Q3", page=3)
    assert _firms_on(html, firms) == ["Firma 5 GmbH"]
    assert "Shown: number 5, by firm name." in html


@pytest.mark.parametrize("asked", ["2031-Q1", "Q9", "x" * 5000])
def test_a_quarter_the_schedule_has_not_shows_the_first_one(login, desk, draft, asked):
    assert "Shares in 2027-Q1" in _page(login(desk), draft, quarter=asked)


def test_a_nul_in_the_search_is_refused(login, desk, draft):
    response = login(desk).get(f"/contracts/{draft.contract_id}/allocation/", {"firm": "Firma\x00"})
    assert response.status_code == 400


def test_the_firm_search_finds_a_firm_on_any_page(login, desk, draft, firms, small_pages):
    client = login(desk)
    html = _page(client, draft, quarter="2027-Q2", firm="ma 5")
    assert _firms_on(html, firms) == ["Firma 5 GmbH"]
    assert "1 firm’s name contains “ma 5”." in html
    html = _page(client, draft, firm="Nobody")
    assert _firms_on(html, firms) == []
    assert "No firm with a share in this quarter has that in its name." in html


def test_an_override_goes_back_to_the_page_of_its_share(login, desk, draft, firms, small_pages):
    share = draft.allocations.get(organisation=firms[4], quarter=Q1 + 1)
    client = login(desk)
    response = client.post(
        f"/contracts/allocations/{share.pk}/override/", {"quantity_t": "1", "reason": "Engpass"}
    )
    assert response["Location"].endswith(f"?quarter=2027-Q2&page=3#share-{share.pk}")
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="share-{share.pk}"' in html and "Engpass" in html


def test_a_refused_override_shows_its_form_on_the_page_of_its_share(
    login, desk, draft, firms, small_pages
):
    share = draft.allocations.get(organisation=firms[3], quarter=Q1 + 2)
    html = _refused_override(login(desk), share, "?quarter=2027-Q1&firm=1")
    assert "Shares in 2027-Q3" in html
    assert _firms_on(html, firms) == ["Firma 3 GmbH", "Firma 4 GmbH"]
    assert f'id="ov-{share.pk}-quantity_t_error"' in html


def test_the_quarters_table_adds_up_and_shows_answers_once_released(
    login, desk, draft, firms, make_user
):
    import datetime

    from django.utils import timezone

    client = login(desk)
    assert "Not answered" not in _page(client, draft)  # a draft has no answers yet
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=3)
    )
    share = draft.allocations.get(organisation=firms[0], quarter=Q1)
    member = make_user("member", org=firms[0])
    allocation_services.allocation_respond(allocation=share, actor=member, accept=False)
    html = _page(client, draft)
    foot = html[html.index("<tfoot>") : html.index("</tfoot>")]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", foot)
    # 4 x 10 t scheduled and allocated; then each firm counted once, not once a quarter: five
    # firms, one of which declined a share, and all five with shares still to answer (not 20).
    assert cells == ["40\u00a0t", "40\u00a0t", "0\u00a0t", "5", "0\u00a0t", "1", "5"], cells
    assert "Not answered (firms)" in html


def test_the_page_costs_the_same_queries_for_two_shares_or_five(
    login, desk, draft, monkeypatch, django_assert_max_num_queries
):
    client = login(desk)
    url = f"/contracts/{draft.contract_id}/allocation/"
    monkeypatch.setattr(selectors, "SHARES_PAGE_SIZE", 2)
    client.get(url)
    with django_assert_max_num_queries(40) as two:
        assert client.get(url).content.decode().count('id="share-') == 2
    monkeypatch.setattr(selectors, "SHARES_PAGE_SIZE", 50)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert client.get(url).content.decode().count('id="share-') == 5


def test_a_quarter_no_longer_scheduled_keeps_its_shares_in_sight(
    login, desk, draft, firms, make_user
):
    """Every firm declined its 2027-Q4 share, and the desk then moved that quarter's volume to
    2027-Q1: the quarter stays on the page with nothing scheduled, its declined shares listed."""
    import datetime

    from django.utils import timezone

    from contracts.offtakes import services as offtake_services

    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=3)
    )
    for share in draft.allocations.filter(quarter=Q1 + 3).order_by("pk"):
        member = make_user("member", org=share.organisation)
        allocation_services.allocation_respond(allocation=share, actor=member, accept=False)
    offtake_services.schedule_set(
        contract=draft.contract,
        actor=desk,
        entries={Q1: D("20"), Q1 + 1: D("10"), Q1 + 2: D("10")},
    )
    client = login(desk)
    html = _page(client, draft)
    row = html[html.index(f'id="q{Q1 + 3}"') :]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row[: row.index("</tr>")])
    # Scheduled, allocated, unallocated, firms, confirmed; then firms that declined, that have
    # not answered. Declines in firms: in tonnes, each redistributed share declined again was
    # counted again (20 t declined of a 10 t quarter).
    assert cells == ["0\u00a0t", "0\u00a0t", "0\u00a0t", "5", "0\u00a0t", "5", "0"], cells
    assert "Declined (firms)" in html and "Not answered (firms)" in html
    html = _page(client, draft, quarter="2027-Q4")
    assert "Shares in 2027-Q4" in html
    assert len(_firms_on(html, firms)) == 5


def test_a_one_quarter_allocation_has_no_total_row(
    login, desk, make_contract, sign, positions, firms, lioh, django_assert_max_num_queries
):
    """The foot sums the quarters; with one quarter it would only repeat the row, so the page
    neither shows it nor counts the firms for it."""
    positions(dict.fromkeys(firms, D("6")), lioh, QUARTERS)
    contract = sign(make_contract(annual_volume_t=D("40")), schedule={Q1: D("40")})
    one = allocation_services.allocation_preview(contract=contract, actor=desk)
    client = login(desk)
    html = _page(client, one)
    assert "<tfoot>" not in html and "2027-Q1" in html
    with django_assert_max_num_queries(40) as queries:
        _page(client, one)
    assert not any("COUNT(DISTINCT" in q["sql"] for q in queries.captured_queries)
