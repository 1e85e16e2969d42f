"""Who sees what: members only their own released allocations (404 for others'), the agency
reads, the ministry only aggregates; pages render in German and English."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.allocations import services as allocation_services
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index


@pytest.fixture
def released(make_contract, sign, desk, positions, firm_a, firm_b, lioh):
    position_set = positions({firm_a: D("6"), firm_b: D("4")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    # The firm part shown to members, so that the whole explanation is theirs to see.
    position_set.cells.update(firm_disclosed=True, indicative_disclosed=True)
    contract = sign(make_contract())
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    return allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )


def test_member_sees_own_allocations_only(
    login, member_a, colleague_a, member_b, released, firm_a, firm_b
):
    own = released.allocations.filter(organisation=firm_a).first()
    other = released.allocations.filter(organisation=firm_b).first()
    client = login(member_a)
    page = client.get("/contracts/allocations/").content.decode()
    assert released.contract.reference in page
    assert (
        f"/contracts/allocations/{own.pk}/" in page
        and f"/contracts/allocations/{other.pk}/" not in page
    )
    assert "Firm B AG" not in page
    assert client.get(f"/contracts/allocations/{own.pk}/").status_code == 200
    assert client.get(f"/contracts/allocations/{other.pk}/").status_code == 404
    assert (
        client.post(
            f"/contracts/allocations/{other.pk}/respond/", {"answer": "decline"}
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.state == "proposed"
    # A colleague of the same firm sees the same share; the other firm's buyer does not.
    assert login(colleague_a).get(f"/contracts/allocations/{own.pk}/").status_code == 200
    assert login(member_b).get(f"/contracts/allocations/{own.pk}/").status_code == 404


def test_member_confirms_on_the_page(login, member_a, released, firm_a):
    own = released.allocations.filter(organisation=firm_a).first()
    response = login(member_a).post(
        f"/contracts/allocations/{own.pk}/respond/", {"answer": "confirm"}, follow=True
    )
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.state == "confirmed" and own.responded_by == member_a


def test_member_api_lists_only_own_and_404_for_others(
    api, member_a, member_b, released, firm_a, firm_b
):
    data = api(member_a).get("/api/v1/allocations/").json()
    assert data["count"] == 4 and {row["organisation"] for row in data["results"]} == {firm_a.pk}
    other = released.allocations.filter(organisation=firm_b).first()
    assert api(member_a).get(f"/api/v1/allocations/{other.pk}/").status_code == 404
    assert api(member_a).post(f"/api/v1/allocations/{other.pk}/confirm/").status_code == 404
    response = api(member_b).post(f"/api/v1/allocations/{other.pk}/decline/")
    assert response.status_code == 200 and response.json()["state"] == "declined"
    assert api(member_b).post(f"/api/v1/allocations/{other.pk}/confirm/").status_code == 409


def test_members_and_ministry_may_not_read_contracts(api, login, member_a, ministry, released):
    contract = released.contract
    for user in (member_a, ministry):
        assert login(user).get(f"/contracts/{contract.pk}/").status_code == 403
        assert login(user).get("/contracts/").status_code == 403
        assert api(user).get("/api/v1/contracts/").status_code == 403
        assert api(user).get(f"/api/v1/contracts/{contract.pk}/schedule/").status_code == 403
    assert api(ministry).get("/api/v1/allocations/").status_code == 403
    assert api(None).get("/api/v1/contracts/").status_code == 401


def test_ministry_sees_aggregates_only(login, ministry, released, member_a, firm_a):
    allocation_services.allocation_respond(
        allocation=released.allocations.filter(organisation=firm_a).first(),
        actor=member_a,
        accept=True,
    )
    page = login(ministry).get("/contracts/overview/").content.decode()
    assert "Lithiumhydroxid" in page
    # No contract, counterparty or firm; confirmed allocations of fewer than five firms withheld.
    assert released.contract.reference not in page
    assert "Salar Andino" not in page and "Firm A GmbH" not in page
    assert "withheld" in page or "zurückgehalten" in page


@pytest.mark.parametrize("largest,disclosed", [(D("96"), False), (D("1"), True)])
def test_ministry_gets_no_allocation_total_a_single_firm_dominates(
    login, ministry, make_contract, sign, desk, positions, firms, lioh, largest, disclosed
):
    """Five firms are enough firms, but when one takes nearly everything the total is its share
    (the p% rule of disclosure control, as for position cells)."""
    demand = {firm: D("1") for firm in firms}
    demand[firms[0]] = largest
    positions(demand, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    draft = allocation_services.allocation_preview(
        contract=sign(make_contract(annual_volume_t=D("400"))), actor=desk
    )
    respond_by = timezone.now() + datetime.timedelta(days=5)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=respond_by
    )
    allocation_services.allocations_deem_confirmed(now=respond_by + datetime.timedelta(hours=1))
    [row] = login(ministry).get("/contracts/overview/").context["allocated"]
    assert row["disclosed"] is disclosed
    if disclosed:
        assert (row["tonnes"], row["firms"]) == (D("20"), 5)
    else:
        assert row["tonnes"] is None and row["firms"] is None


def test_agency_reads_but_does_not_write(api, login, analyst, released, desk):
    contract = released.contract
    client = login(analyst)
    for url in (
        "/contracts/",
        f"/contracts/{contract.pk}/",
        f"/contracts/{contract.pk}/allocation/",
        "/contracts/dashboard/",
        "/contracts/due/",
        "/contracts/prices/",
        "/contracts/mark-to-market/",
        "/contracts/counterparties/",
    ):
        assert client.get(url).status_code == 200, url
    assert (
        client.post(f"/contracts/{contract.pk}/transition/", {"to_state": "terminated"}).status_code
        == 403
    )
    assert api(analyst).get(f"/api/v1/contracts/{contract.pk}/").status_code == 200
    # Firms' shares are their forward demand: the agency sees quarter totals, no firm.
    allocation_page = client.get(f"/contracts/{contract.pk}/allocation/").content.decode()
    assert "Firm A GmbH" not in allocation_page and "Firm B AG" not in allocation_page
    assert api(analyst).get("/api/v1/allocations/").status_code == 403
    summary = api(analyst).get(f"/api/v1/contracts/{contract.pk}/allocation/").json()
    assert summary["quarters"][0]["allocated_t"] == "10.000000"
    assert (
        api(analyst)
        .patch(f"/api/v1/contracts/{contract.pk}/", {"grade": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(analyst).post(f"/api/v1/contracts/{contract.pk}/allocation/preview/").status_code == 403
    )


@pytest.mark.parametrize("lang,text", [("de", "Abnahmeverträge"), ("en", "Offtake contracts")])
def test_desk_pages_in_both_languages(login, desk, released, lang, text, client):
    client = login(desk)
    client.cookies["django_language"] = lang
    contract = released.contract
    for url in (
        "/contracts/",
        f"/contracts/{contract.pk}/",
        f"/contracts/{contract.pk}/allocation/",
        f"/contracts/{contract.pk}/schedule/",
        f"/contracts/{contract.pk}/deliveries/new/",
        "/contracts/new/",
        "/contracts/dashboard/",
        "/contracts/overview/",
        "/contracts/due/",
        "/contracts/prices/",
        "/contracts/mark-to-market/",
        "/contracts/counterparties/",
        "/contracts/counterparties/new/",
        "/contracts/prices/indices/new/",
        "/agency/projects/",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, url
    assert text in client.get("/contracts/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_contract_form_shows_errors_next_to_fields(login, desk, counterparty, demand_round, lioh):
    response = login(desk).post(
        "/contracts/new/",
        {
            "reference": "OFF-X",
            "counterparty": counterparty.pk,
            "round": demand_round.pk,
            "material": lioh.pk,
            "start_quarter": "2027-Q1",
            "end_quarter": "2027-Q4",
            "annual_volume_t": "40",
            "tolerance_pct": "5",
            "take_or_pay_pct": "0",
            "lot_size_t": "1",
            "incoterm": "CIF",
            "incoterm_place": "Hamburg",
            "currency": "EUR",
            "price_unit": "t",
            "pricing_type": "index",
            "quotational_period": "Q",
            "premium": "0",
            "floor": "12.000",
            "cap": "9.000",
            "fee_type": "percent",
            "fee_value": "1,5",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "index" in form.errors and "floor" in form.errors
    assert "above the cap" in form.errors["floor"][0]


def test_desk_creates_a_contract_with_german_numbers(login, desk, counterparty, demand_round, lioh):
    from contracts.models import OfftakeContract

    response = login(desk).post(
        "/contracts/new/",
        {
            "reference": "OFF-DE",
            "counterparty": counterparty.pk,
            "round": demand_round.pk,
            "material": lioh.pk,
            "start_quarter": "2027-q1",
            "end_quarter": "2028-Q4",
            "annual_volume_t": "1.250,5",
            "tolerance_pct": "5",
            "take_or_pay_pct": "80",
            "lot_size_t": "0,5",
            "incoterm": "CIF",
            "incoterm_place": "Hamburg",
            "currency": "EUR",
            "price_unit": "t",
            "pricing_type": "fixed",
            "fixed_price": "11.800",
            "fee_type": "per_unit",
            "fee_value": "150",
        },
    )
    contract = OfftakeContract.objects.get(reference="OFF-DE")
    assert (
        response.status_code == 302
        and response["Location"] == f"/contracts/{contract.pk}/schedule/"
    )
    assert (contract.annual_volume_t, contract.lot_size_t, contract.fixed_price) == (
        D("1250.5"),
        D("0.5"),
        D("11800"),
    )
    assert (contract.start_quarter, contract.end_quarter) == (Q1, Quarter(2028, 4).index)


def test_a_member_never_sees_the_pool_in_the_explanation(login, api, member_a, released, firm_a):
    """The pooled remaining demand of all firms and their number are other firms' forward demand."""
    own = released.allocations.filter(organisation=firm_a).first()
    assert "total_remaining_demand_t" in own.explanation  # the desk has it
    data = api(member_a).get(f"/api/v1/allocations/{own.pk}/").json()["explanation"]
    assert "total_remaining_demand_t" not in data and "firms" not in data
    assert data["remaining_demand_t"] == "6.000000" and data["share_t"] == "6.000000"
    page = (
        login(member_a)
        .get(f"/contracts/allocations/{own.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "all firms" not in page and "2 firms" not in page
    explanation = login(member_a).get(f"/contracts/allocations/{own.pk}/").context["explanation"]
    assert "total_remaining_demand_t" not in explanation and "firms" not in explanation
    assert "Enough for everyone" in page


def test_a_member_sees_its_fill_rate_in_scarcity(
    login, make_contract, sign, desk, positions, firm_a, firm_b, lioh, member_a
):
    position_set = positions({firm_a: D("15"), firm_b: D("5")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    position_set.cells.update(firm_disclosed=True, indicative_disclosed=True)
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    own = draft.allocations.get(organisation=firm_a, quarter=Q1)
    # 10 lots for 15 + 5 t: 7.5 lots -> 7, plus the leftover lot by largest remainder (tie: lower id).
    page = (
        login(member_a)
        .get(f"/contracts/allocations/{own.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "7.5 lots, that is 50 % of your remaining firm demand" in page
    assert "20 t" not in page and "20\u00a0t" not in page


def test_a_member_cannot_work_out_the_pool_or_another_firms_share(
    api, login, make_contract, sign, desk, positions, firm_a, firm_b, lioh, member_a, member_b
):
    """The fill rate is the pool's ratio (volume / total remaining demand): shown together with
    the volume shared, it gives the pool's total back, and with two firms the other firm's demand.
    A declined share redistributed to the firm is another firm's share."""
    position_set = positions({firm_a: D("15"), firm_b: D("5")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    position_set.cells.update(firm_disclosed=True, indicative_disclosed=True)
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    own = draft.allocations.get(organisation=firm_a, quarter=Q1)
    other = draft.allocations.get(organisation=firm_b, quarter=Q1)
    allocation_services.allocation_respond(allocation=other, actor=member_b, accept=False)
    assert "volume_t" in own.explanation  # the desk has it
    data = api(member_a).get(f"/api/v1/allocations/{own.pk}/").json()["explanation"]
    for entry in (data, *data["redistributed"]):
        assert not {"volume_t", "lots_available", "from_declined_t"} & set(entry), entry
    assert data["fill_pct"] == "50.0" and data["redistributed"][0]["share_t"] == "2.000000"
    page = (
        login(member_a)
        .get(f"/contracts/allocations/{own.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Volume of the quarter" not in page and "declined by another firm" not in page
    assert "7.5 lots, that is 50 % of your remaining firm demand" in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_member_downloads_its_own_allocations(login, member_a, released, firm_a, fmt):
    import csv
    import io

    from openpyxl import load_workbook

    response = login(member_a).get(f"/contracts/allocations/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.values)
        rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    assert len(rows) == 4
    assert {row["contract"] for row in rows} == {released.contract.reference}
    assert [D(str(row["allocated_t"])) for row in rows] == [D("6")] * 4
    assert D(str(rows[0]["back_to_back_price"])) == D("12240")  # 12,000 + 2 % house fee
    assert "organisation" not in rows[0]


HOSTILE_REASONS = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_allocation_export_never_passes_a_formula_through(
    login, member_a, released, firm_a, desk, fmt
):
    """The desk writes the override reason; the member's spreadsheet must show it as text."""
    import csv
    import io

    from openpyxl import load_workbook

    shares = released.allocations.filter(organisation=firm_a).order_by("quarter")
    for allocation, reason in zip(shares, HOSTILE_REASONS, strict=True):
        allocation_services.allocation_override(
            allocation=allocation, actor=desk, quantity_t=D("5"), reason=reason
        )
    response = login(member_a).get(f"/contracts/allocations/export.{fmt}")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        reasons = [row["override_reason"] for row in rows]
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        header = [c.value for c in sheet[1]]
        column = header.index("override_reason")
        cells = [row[column] for row in sheet.iter_rows(min_row=2)]
        assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
        reasons = [cell.value for cell in cells]
    assert sorted(reasons) == sorted("'" + r for r in HOSTILE_REASONS)
    assert login(member_a).get("/contracts/allocations/export.pdf").status_code == 404


def test_the_coverage_dashboard_shows_cells_as_the_reader_may_see_them(
    rf, desk, ministry, positions, firm_a, firm_b, lioh
):
    """The dashboard reads positions through tradinghouse's selector, so a reader who is no
    trustee would get a hidden cell without figures even if the page's policy let them in."""
    from contracts.dashboards.views import dashboard

    position_set = positions({firm_a: D("6"), firm_b: D("4")}, lioh, [Q1])
    position_set.cells.update(disclosed=False, hidden_reason="few_firms", contracted_t=D("5"))
    testid = 'data-testid="coverage-lithium-hydroxide-2027-Q1">'
    pages = {}
    for user in (desk, ministry):
        request = rf.get("/contracts/dashboard/")
        request.user = user
        pages[user] = dashboard(request).content.decode()
    assert testid + "50 %" in pages[desk]
    assert testid + "–" in pages[ministry]
    charts = {
        user: json.loads(
            page.split('id="coverage-chart" type="application/json">')[1].split("<")[0]
        )
        for user, page in pages.items()
    }
    assert charts[desk]["data"][0]["z"] == [[0.5]]
    assert charts[ministry]["data"][0]["z"] == [[None]]


def test_trustees_see_a_withheld_allocation_total_marked_hidden(
    login, desk, ministry, make_contract, sign, positions, firms, lioh
):
    demand = {firm: D("1") for firm in firms}
    demand[firms[0]] = D("96")
    positions(demand, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    draft = allocation_services.allocation_preview(
        contract=sign(make_contract(annual_volume_t=D("400"))), actor=desk
    )
    respond_by = timezone.now() + datetime.timedelta(days=5)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=respond_by
    )
    allocation_services.allocations_deem_confirmed(now=respond_by + datetime.timedelta(hours=1))
    [row] = login(desk).get("/contracts/overview/").context["allocated"]
    assert (row["disclosed"], row["tonnes"], row["firms"]) == (False, D("400"), 5)
    [row] = login(ministry).get("/contracts/overview/").context["allocated"]
    assert (row["disclosed"], row["tonnes"], row["firms"]) == (False, None, None)


def test_the_desk_reopens_a_confirmed_share_on_the_page_and_the_member_answers_again(
    login, desk, member_a, released, firm_a
):
    share = released.allocations.filter(organisation=firm_a).order_by("quarter").first()
    login(member_a).post(f"/contracts/allocations/{share.pk}/respond/", {"answer": "confirm"})
    share.refresh_from_db()
    assert share.state == "confirmed"
    desk_client = login(desk)
    page = desk_client.get(f"/contracts/{share.contract_id}/allocation/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"/contracts/allocations/{share.pk}/reopen/" in page.content.decode()
    assert f"/contracts/allocations/{share.pk}/override/" not in page.content.decode()
    refused = desk_client.post(
        f"/contracts/allocations/{share.pk}/override/",
        {"quantity_t": "5", "reason": "Engpass"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "reopen it with a reason" in refused.content.decode()
    share.refresh_from_db()
    assert share.quantity_t == D("6")
    respond_by = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    desk_client.post(
        f"/contracts/allocations/{share.pk}/reopen/",
        {"reason": "Werk B im Umbau", "respond_by": respond_by},
    )
    share.refresh_from_db()
    assert share.state == "proposed"
    member = login(member_a)
    detail = member.get(f"/contracts/allocations/{share.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = detail.content.decode()
    assert "Werk B im Umbau" in html and 'value="confirm"' in html
    member.post(f"/contracts/allocations/{share.pk}/respond/", {"answer": "confirm"})
    share.refresh_from_db()
    assert share.state == "confirmed"


@pytest.mark.parametrize("parts_shown", [False, True])
def test_where_the_firm_part_is_hidden_the_member_sees_no_figure_that_gives_it_back(
    api, login, make_contract, sign, desk, positions, firm_a, firm_b, lioh, member_a, parts_shown
):
    """One contract per quarter: the fill rate is volume / pooled firm demand and the volume is
    the cell's contracted tonnes, so the two give the pooled firm demand back. Where the firm
    part is hidden from the member, neither reaches it (pages, API, positions)."""
    position_set = positions({firm_a: D("15"), firm_b: D("5")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    position_set.cells.update(
        firm_disclosed=parts_shown, indicative_disclosed=parts_shown, contracted_t=D("10")
    )
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    own = draft.allocations.get(organisation=firm_a, quarter=Q1)
    client = api(member_a)
    explanations = [client.get(f"/api/v1/allocations/{own.pk}/").json()["explanation"]] + [
        row["explanation"] for row in client.get("/api/v1/allocations/").json()["results"]
    ]
    page = (
        login(member_a)
        .get(f"/contracts/allocations/{own.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    cells = client.get(f"/api/v1/rounds/{position_set.round_id}/positions/").json()
    cells = cells.get("results", cells) if isinstance(cells, dict) else cells
    cell = next(c for c in cells if c["period"] == "2027-Q1")
    if parts_shown:
        assert all(e["fill_pct"] == "50.0" and not e["withheld"] for e in explanations)
        assert "that is 50 % of your remaining firm demand" in page
        assert D(cell["contracted_t"]) == D("10")
    else:
        for e in explanations:
            assert e["withheld"] and not {
                "fill_pct",
                "pro_rata_lots",
                "base_lots",
                "extra_lots",
                "method",
            } & set(e), e
            assert e["remaining_demand_t"] == "15.000000"  # its own figures stay
        assert "50 %" not in page and "7.5 lots" not in page
        assert 'data-testid="withheld"' in page
        assert cell["demand_firm_t"] is None
        assert cell["contracted_t"] is None and cell["allocated_t"] is None
        assert cell["open_t"] is None and cell["coverage"] is None
