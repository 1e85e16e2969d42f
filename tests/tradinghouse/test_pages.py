"""Pages: tenancy of every page, what each reader sees (disclosure applied in tables, charts,
exports and titles), the positions panel with its progress bar, and pinned query counts."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from industry.models import RoundState
from rohstoff.core.models import Job
from tradinghouse.services import AGGREGATION_JOB

# terbium total 46.6 t; 2028-Q1 lithium total 15 t, as the pages write them in either language
HIDDEN_FIGURES = ["46,6\u00a0t", "46.6\u00a0t", ">15\u00a0t<"]


def dashboard(round):
    return reverse("tradinghouse:round_dashboard", args=[round.pk])


def figure(html: str, element_id: str) -> dict:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    return json.loads(match.group(1))


# ---- tenancy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["overview", "dashboard", "panel", "export_csv", "export_xlsx"])
def test_every_page_refuses_anonymous_and_staff_without_role(
    client, login, rich_round, staff, name
):
    target = {
        "overview": reverse("tradinghouse:position_overview"),
        "dashboard": dashboard(rich_round),
        "panel": reverse("tradinghouse:round_panel", args=[rich_round.pk]),
        "export_csv": reverse("tradinghouse:round_export", args=[rich_round.pk, "csv"]),
        "export_xlsx": reverse("tradinghouse:round_export", args=[rich_round.pk, "xlsx"]),
    }[name]
    anonymous = client.get(target)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login(staff).get(target).status_code == 403


@pytest.mark.parametrize("name", ["dashboard", "panel", "export_csv"])
def test_a_draft_round_answers_404_to_members_like_a_missing_one(login, make_round, member_a, name):
    draft = make_round(state=RoundState.DRAFT)
    for pk in (draft.pk, 999999):
        target = {
            "dashboard": reverse("tradinghouse:round_dashboard", args=[pk]),
            "panel": reverse("tradinghouse:round_panel", args=[pk]),
            "export_csv": reverse("tradinghouse:round_export", args=[pk, "csv"]),
        }[name]
        assert login(member_a).get(target).status_code == 404


def test_only_the_desk_may_aggregate_from_a_page(
    client, login, rich_round, member_a, analyst, ministry
):
    target = reverse("tradinghouse:round_aggregate", args=[rich_round.pk])
    for user in (member_a, analyst, ministry):
        client.logout()
        assert login(user).post(target).status_code == 403
    assert not Job.objects.filter(created_by__in=[member_a, analyst, ministry]).exists()


def test_a_member_sees_its_own_demand_a_colleague_the_same_an_outsider_only_its_own(
    login, client, rich_round, member_a, colleague_a, member_b
):
    own = login(member_a).get(dashboard(rich_round)).content.decode()
    client.logout()
    colleague = login(colleague_a).get(dashboard(rich_round)).content.decode()
    client.logout()
    outsider = login(member_b).get(dashboard(rich_round)).content.decode()
    share = 'data-testid="share-lithium-hydroxide"'
    assert share in own and share in colleague
    assert share not in outsider  # firm B entered nothing: no share, and never firm A's figures
    assert "Ihre Firma hat in dieser Runde (oder in dieser Auswahl) keinen Bedarf." in outsider
    # firm A's own 2027-Q2 demand (10 t) is in its row; firm B's row shows zero
    assert re.search(
        r'data-testid="row-lithium-hydroxide-2027-Q2".*?<td class="num">10\u00a0t</td>', own, re.S
    )
    assert re.search(
        r'data-testid="row-lithium-hydroxide-2027-Q2".*?<td class="num">0\u00a0t</td>',
        outsider,
        re.S,
    )


# ---- what each reader sees -------------------------------------------------------------------


def test_member_view_shows_the_share_where_allowed_and_hides_the_rest(login, rich_round, member_a):
    response = login(member_a).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    # own 38 t (10 + 18 + 10) of the disclosed pool 250 t (78 + 94 + 78) = 15.2 %
    assert "Your share of the pooled Lithium hydroxide monohydrate is 15.2\u00a0%." in html
    assert "38\u00a0t of 250\u00a0t, over the 3 disclosed quarters." in html
    hidden_row = re.search(
        r'data-testid="row-lithium-hydroxide-2028-Q1">(.*?)</tr>', html, re.S
    ).group(1)
    assert "not disclosed" in hidden_row and "5\u00a0t" in hidden_row  # its own 5 t, never the pool
    for figure_text in HIDDEN_FIGURES:
        assert figure_text not in html
    chart = figure(html, "member-figure")
    pool = next(t for t in chart["data"] if t["legendgroup"] == "pool")
    assert pool["y"][pool["x"].index("2027-Q1")] is None
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert not re.search(r"\d", title.replace(rich_round.title, ""))


def test_ministry_sees_disclosed_positions_only(login, rich_round, ministry):
    html = login(ministry).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Offengelegte Nachfrage und vertraglich gesicherte Menge" in html
    assert html.count('data-testid="hidden-cell"') >= 6  # three hidden cells, in two tables
    for figure_text in HIDDEN_FIGURES:
        assert figure_text not in html
    chart = figure(html, "coverage-figure")
    for trace in chart["data"]:
        for x, y in zip(trace["x"], trace["y"], strict=True):
            if x in ("2027-Q1", "2028-Q1", "2028-Q3"):
                assert y is None, (trace["name"], x)
        assert "46.6" not in json.dumps(trace)
    assert "Warum verborgen" not in html and "complementary" not in html


@pytest.mark.parametrize("who", ["desk", "analyst"])
def test_desk_and_agency_see_every_cell_with_its_reason(request, login, rich_round, who):
    html = (
        login(request.getfixturevalue(who))
        .get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "one firm dominates (p% rule)" in html and "46.6\u00a0t" in html
    assert "hidden so that the row total does not reveal another cell" in html
    chart = figure(html, "demand-figure")
    firm = next(t for t in chart["data"] if t["name"] == "firm" and "2028-Q3" in t["x"])
    assert firm["marker"]["pattern"]["shape"] == ["/"]  # hatched: hidden from members
    assert ("Largest firm" in html) == (who == "desk")  # the largest share is for the desk only
    assert ('data-testid="reaggregate"' in html) == (who == "desk")


def test_figures_read_in_the_readers_language_in_tables_and_charts(login, rich_round, desk):
    """Tonnes with their unit and no trailing zeros; the chart's separators and every tooltip
    follow the reader's language (German: decimal comma, thousands dot)."""
    de = login(desk).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert re.search(r'data-testid="cell-terbium-oxide-[^"]+".*?>46,6\u00a0t<', de, re.S)
    assert "46,600" not in de and "46.600" not in de
    chart = figure(de, "demand-figure")
    assert chart["layout"]["separators"] == ",."
    for trace in chart["data"]:
        assert "%{y:,.3~f}\u00a0t" in trace["hovertemplate"], trace["hovertemplate"]
    top = figure(de, "open-figure")
    assert top["layout"]["separators"] == ",." and "%{x:,.3~f}" in top["data"][0]["hovertemplate"]
    en = login(desk).get(dashboard(rich_round), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert figure(en, "demand-figure")["layout"]["separators"] == ".,"
    assert ">46.6\u00a0t<" in en


def test_dashboard_filter_and_bad_filter(login, rich_round, desk):
    client = login(desk)
    html = client.get(
        dashboard(rich_round), {"material": "terbium-oxide"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (
        'data-testid="cell-terbium-oxide-2028-Q3"' in html and "cell-lithium-hydroxide" not in html
    )
    bad = client.get(dashboard(rich_round), {"period": "Q9"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "Write a year (2027) or a quarter (2027-Q3)." in bad.content.decode()


def test_overview_lists_rounds_with_positions(
    login, client, rich_round, make_round, member_a, desk
):
    waiting = make_round(title="Wartet auf Aggregation")
    open_round = make_round(state=RoundState.OPEN, title="Noch offen")
    html = login(member_a).get(reverse("tradinghouse:position_overview")).content.decode()
    assert rich_round.title in html and waiting.title not in html and open_round.title not in html
    client.logout()
    desk_html = login(desk).get(reverse("tradinghouse:position_overview")).content.decode()
    assert (
        rich_round.title in desk_html and waiting.title in desk_html
    )  # the desk sees what is waiting


# ---- exports ---------------------------------------------------------------------------------


def test_member_csv_has_empty_quantities_in_hidden_cells_and_its_own_demand(
    login, rich_round, member_a
):
    response = login(member_a).get(
        reverse("tradinghouse:round_export", args=[rich_round.pk, "csv"]), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    tb = next(r for r in rows if r["Materialcode"] == "terbium-oxide")
    assert (
        tb["Offengelegt"] == "nein" and tb["Nachfrage (t)"] == "" and tb["Beitragende Firmen"] == ""
    )
    assert tb["Bedarf Ihrer Firma (t)"] == "45,000000"
    q3 = next(r for r in rows if r["Quartal"] == "2027-Q3")
    assert q3["Nachfrage (t)"] == "94,000000" and q3["Verbindlich (t)"] == "60,000000"
    assert q3["Bedarf Ihrer Firma (t)"] == "18,000000" and q3["Ihr Anteil"] == "0,1915"
    assert tb["Ihr Anteil"] == ""  # no share of a hidden cell
    assert "Warum verborgen" not in rows[0]


def test_desk_xlsx_and_element_export(login, rich_round, desk):
    client = login(desk)
    response = client.get(
        reverse("tradinghouse:round_export", args=[rich_round.pk, "xlsx"]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert "Why hidden" in header
    rows = [
        dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    tb = next(r for r in rows if r["Material code"] == "terbium-oxide")
    assert (
        Decimal(str(tb["Demand (t)"])) == Decimal("46.6")
        and tb["Why hidden"] == "one firm dominates (p% rule)"
    )
    elements = client.get(
        reverse("tradinghouse:round_export", args=[rich_round.pk, "csv"]),
        {"by": "element"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    lines = list(csv.DictReader(io.StringIO(elements.content.decode("utf-8-sig"))))
    assert {line["Element"] for line in lines} == {"Li", "Tb"}
    assert all(line["LCE (t)"] for line in lines if line["Element"] == "Li")


def test_an_unknown_export_format_is_404(login, rich_round, desk):
    assert login(desk).get(f"/positions/rounds/{rich_round.pk}/export.pdf").status_code == 404


# ---- the positions panel ---------------------------------------------------------------------


def panel(round, **params):
    return reverse("tradinghouse:round_panel", args=[round.pk]) + (
        "?poll=1" if params.get("poll") else ""
    )


def test_panel_for_the_desk_offers_aggregation_and_shows_the_result(login, rich_round, desk):
    html = login(desk).get(panel(rich_round), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="aggregation-done"' in html and 'data-testid="aggregate-button"' in html
    assert "Re-aggregate" in html
    assert re.search(r'data-testid="panel-hidden">3<', html)


def test_panel_shows_progress_while_a_job_runs_and_stops_polling_when_done(
    login, make_round, firms, add_line, desk, django_capture_on_commit_callbacks
):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027-Q1", "5")
    client = login(desk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("tradinghouse:round_aggregate", args=[r.pk]), HTTP_HX_REQUEST="true"
        )
    html = response.content.decode()
    assert 'data-testid="aggregation-progress"' in html and 'hx-trigger="every 1s"' in html
    polling = client.get(panel(r, poll=True), HTTP_HX_REQUEST="true")
    assert (
        polling.status_code == 200
        and 'data-testid="aggregation-progress"' in polling.content.decode()
    )
    for callback in callbacks:  # the worker runs the job
        callback()
    done = client.get(panel(r, poll=True), HTTP_HX_REQUEST="true")
    assert done.status_code == 286  # htmx stops polling and swaps in the result
    assert 'data-testid="aggregation-done"' in done.content.decode()
    assert "every 1s" not in done.content.decode()


def test_panel_shows_a_failed_job_to_the_desk(login, make_round, desk):
    r = make_round()
    Job.objects.create(
        kind=AGGREGATION_JOB,
        subject_type="industry.demandround",
        subject_id=str(r.pk),
        state="failed",
        error="Datenbankfehler: kein Platz",
        created_by=desk,
    )
    html = login(desk).get(panel(r)).content.decode()
    assert 'data-testid="aggregation-failed"' in html and "kein Platz" in html


def test_panel_for_a_member_is_a_summary_without_buttons(login, rich_round, member_a, make_round):
    html = login(member_a).get(panel(rich_round)).content.decode()
    assert 'data-testid="aggregation-done"' in html and "aggregate-button" not in html
    open_round = make_round(state=RoundState.OPEN)
    assert 'data-testid="positions-none"' in login(member_a).get(panel(open_round)).content.decode()


def test_aggregate_from_a_page_on_an_open_round_says_why_not(login, make_round, desk):
    r = make_round(state=RoundState.OPEN)
    response = login(desk).post(
        reverse("tradinghouse:round_aggregate", args=[r.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Only a closed round can be aggregated" in response.content.decode()
    assert not Job.objects.exists()


# ---- query counts ----------------------------------------------------------------------------


QUERIES = {"desk": 10, "analyst": 8, "member_a": 9, "ministry": 8}


def _grow(round, add_line, orgs, lines):
    for i in range(lines):
        add_line(
            round,
            orgs[i % len(orgs)],
            "lithium-hydroxide" if i % 3 else "terbium-oxide",
            f"2028-Q{1 + i % 4}",
            1 + i % 7,
            grade=f"g{i}",
        )


@pytest.mark.parametrize("who", list(QUERIES))
def test_dashboard_query_count_does_not_grow_with_the_data(
    request, login, rich_round, add_line, aggregate, django_assert_num_queries, who
):
    user = request.getfixturevalue(who)
    client = login(user)
    client.get("/positions/")  # warm the session (not the dashboard: that would fill its cache)
    with django_assert_num_queries(QUERIES[who]):
        assert client.get(dashboard(rich_round)).status_code == 200
    _grow(rich_round, add_line, rich_round.firms, 300)
    aggregate(rich_round)
    with django_assert_num_queries(QUERIES[who]):
        assert client.get(dashboard(rich_round)).status_code == 200


@pytest.mark.parametrize("who", ["desk", "member_a", "ministry"])
def test_a_published_position_set_is_rendered_once_per_kind_of_reader(
    request, login, rich_round, add_line, aggregate, who
):
    """Position sets never change once published, so a reader's dashboard is kept; a new set
    (a re-aggregation) is shown at once, never the kept one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page():  # without what differs on every response (CSP nonce, CSRF token)
        content = client.get(dashboard(rich_round)).content.decode()
        return re.sub(r'(nonce|value|content)="[A-Za-z0-9+/=_-]{20,}"', "", content)

    client = login(request.getfixturevalue(who))
    client.get("/positions/")
    with CaptureQueriesContext(connection) as first:
        before = page()
    with CaptureQueriesContext(connection) as second:
        assert page() == before
    assert len(second) < len(first)

    _grow(rich_round, add_line, rich_round.firms, 30)
    aggregate(rich_round)
    assert page() != before


def test_the_dashboard_is_kept_per_filter_not_per_query_string(login, rich_round, desk):
    """Parameters that select nothing (or another spelling of the same filter) reuse the kept
    dashboard instead of adding an entry to the cache for every query string."""
    from django.core.cache import cache

    def kept_dashboards():  # the test cache is Django's local-memory cache
        return {key for key in cache._cache if ":dashboard:" in key}

    client = login(desk)
    client.get("/positions/")
    client.get(dashboard(rich_round), {"material": "terbium-oxide"})
    client.get(dashboard(rich_round), {"period": "2028"})
    kept = kept_dashboards()
    client.get(dashboard(rich_round), {"material": "terbium-oxide", "utm_source": "mail"})
    client.get(dashboard(rich_round), {"period": " 2028 ", "page": "2"})
    assert len(kept) == 2 and kept_dashboards() == kept
