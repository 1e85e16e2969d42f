"""The ministry's dashboard carries the agency's sections in their slots: stockpile bands without
tonnes, the ministry's saved scenarios and the portfolio's totals (docs/supply-security.md)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_ministry_home_shows_bands_scenarios_and_portfolio_totals(login, ministry):
    page = login(ministry).get("/").content.decode()
    assert 'data-testid="widget-stockpile-bands"' in page
    assert 'data-testid="widget-portfolio"' in page
    assert "Not available yet" not in page and "Noch nicht verfügbar" not in page
    # a band, never a tonne figure of the stockpile
    section = page[page.index('data-testid="widget-stockpile-bands"') :]
    section = section[: section.index("</section>")]
    assert not re.search(r"\d\s*t\b", section)


def test_a_member_home_has_none_of_the_agency_sections(login, member_a):
    page = login(member_a).get("/").content.decode()
    assert "widget-stockpile-bands" not in page and "widget-portfolio" not in page


def test_the_stockpile_section_links_its_stylesheet_in_the_head_only(login, ministry):
    page = login(ministry).get("/").content.decode()
    head, body = page.split("</head>", 1)
    assert "agency/stockpile" in head and ".css" in head
    assert 'rel="stylesheet"' not in body


def test_no_section_of_the_ministry_home_is_a_placeholder(login, ministry):
    page = login(ministry).get("/").content.decode()
    assert "data-slot=" not in page
