"""The stockpile and scenario pages: the agency sees tonnes and days, the ministry only bands
(pages and CSV export), and the scenario result arrives as an htmx partial."""

import re

import pytest

from agency.stockpile import services


@pytest.fixture
def world(analyst, lioh, li2co3, cells, contract, stock, location):
    year = {f"2027-Q{q}": 1000 for q in (1, 2, 3, 4)}
    cells(lioh, year, contracted={q: 600 for q in year}, hidden=("2027-Q3",))
    cells(li2co3, {"2027-Q2": 10}, contracted={"2027-Q2": 10})
    contract("CL", {q: 600 for q in year})
    stock(lioh, "123.456")
    services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="23.4", reason="Engpass"
    )


def tonne_figures(html: str) -> list[str]:
    return re.findall(r"\d[\d.,]*\s*t\b", html)


def test_agency_pages(login, analyst, world):
    client = login(analyst)
    page = client.get("/agency/stockpile/").content.decode()
    assert "123,456" in page or "123.456" in page
    assert 'data-testid="releases-waiting"' in page
    assert client.get("/agency/stockpile/movements/").status_code == 200
    releases = client.get("/agency/stockpile/releases/").content.decode()
    assert "Engpass" not in releases and "23,4" in releases or "23.4" in releases


def test_ministry_sees_bands_only(login, ministry, world):
    client = login(ministry)
    assert client.get("/agency/stockpile/").status_code == 403
    assert client.get("/agency/stockpile/movements/").status_code == 403
    page = client.get("/agency/stockpile/bands/").content.decode()
    assert 'data-testid="bands-table"' in page
    assert "123" not in page and "Lager" not in page and tonne_figures(page) == []
    csv = client.get("/agency/stockpile/bands.csv").content.decode()
    assert "123" not in csv and "lithium-hydroxide" in csv and "holding" not in csv


def test_scenario_htmx_partial_for_the_ministry(login, ministry, world, scenario_round):
    client = login(ministry)
    url = f"/scenarios/?round={scenario_round.pk}&countries=CL&first_quarter=2027-Q2"
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="scenario-result"')
    assert "<html" not in partial and 'class="cell-hidden"' in partial
    assert "123" not in partial  # the stockpile's tonnes
    full = client.get(url).content.decode()
    assert "<html" in full and 'data-testid="bridge-table"' in full
    csv = client.get(f"/scenarios/export.csv?{url.split('?')[1]}").content.decode()
    lines = csv.splitlines()
    assert "holding_t" not in lines[0]
    assert any(",2027-Q3,no,,,,," in line for line in lines)


def test_the_scenario_form_names_countries_in_the_readers_language(login, ministry, world):
    """The countries to stop are named in the page's language, whichever language asked first
    (the choices were taken once, in German, and an English page listed "Bosnien und
    Herzegowina")."""
    client = login(ministry)
    for language, name, other in (
        ("de", "Bosnien und Herzegowina", "Bosnia and Herzegovina"),
        ("en", "Bosnia and Herzegovina", "Bosnien und Herzegowina"),
        ("de", "Bosnien und Herzegowina", "Bosnia and Herzegovina"),
    ):
        page = client.get("/scenarios/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<option value="BA">{name}</option>' in page and other not in page, language


def test_save_open_compare(login, analyst, desk, world, scenario_round):
    client = login(analyst)
    for name, countries in (("Chile", ["CL"]), ("Chile und Australien", ["CL", "AU"])):
        response = client.post(
            "/scenarios/save/",
            {
                "name": name,
                "round": scenario_round.pk,
                "countries": countries,
                "first_quarter": "2027-Q2",
            },
        )
        assert response.status_code == 302
    from agency.models import SavedScenario

    a, b = SavedScenario.objects.order_by("pk")
    assert sorted(b.country_codes) == ["AU", "CL"]
    page = client.get(f"/scenarios/{a.pk}/").content.decode()
    assert 'data-testid="bridge-table"' in page and "123,456" in page
    compare = client.get(f"/scenarios/compare/?a={a.pk}&b={b.pk}").content.decode()
    assert 'data-testid="compare-table"' in compare
    # Another organisation's saved scenario is not there at all.
    assert login(desk).get(f"/scenarios/{a.pk}/").status_code == 404
    # Bad input: nothing saved, a clear 400.
    response = client.post(
        "/scenarios/save/",
        {"name": "x" * 200, "round": scenario_round.pk, "countries": ["ZZ"], "first_quarter": "x"},
    )
    assert response.status_code == 400 and SavedScenario.objects.count() == 2


def test_release_page_flow(login, analyst, approver, make_user, make_org, world):
    from agency.models import Movement

    release = Movement.objects.get(kind="release")
    approver2 = make_user("agency_approver", org=make_org("Agentur", "agency"))
    page = login(analyst).get(f"/agency/stockpile/releases/{release.pk}/").content.decode()
    assert "Agency approvers decide on releases." in page or "Agentur" in page
    assert (
        login(analyst).post(f"/agency/stockpile/releases/{release.pk}/approve/").status_code == 403
    )
    for user in (approver, approver2):
        response = login(user).post(
            f"/agency/stockpile/releases/{release.pk}/approve/", {"revision": 1}
        )
        assert response.status_code == 302
    release.refresh_from_db()
    assert release.state == "booked"


def test_dashboard_sections_for_the_ministry(rf, ministry, world):
    from django.template.loader import render_to_string

    from agency.stockpile import widgets

    request = rf.get("/")
    request.user = ministry
    html = render_to_string(
        "agency/widgets/stockpile_bands.html", widgets.stockpile_bands(request), request=request
    )
    assert 'data-testid="bands-table"' in html and "123" not in html
    html = render_to_string(
        "agency/widgets/saved_scenarios.html", widgets.saved_scenarios(request), request=request
    )
    assert 'data-testid="widget-saved-scenarios"' in html
