"""The ministry's dashboard and the PDF briefing: disclosed cells only, the figures in the
PDF's text, exports, fixed query counts (docs/supply-security.md)."""

import io
import re

import pytest
from pypdf import PdfReader

from rohstoff.core.periods import Quarter

from .conftest import AS_OF


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


@pytest.mark.django_db
def test_the_briefing_pdf_holds_the_figures_and_no_hidden_cell(login, ministry, world):
    response = login(ministry).get(
        "/supply/briefing/", {"round": world.pk, "as_of": AS_OF.isoformat()}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, pages = _pdf_text(response.content)
    flat = re.sub(r"\s+", " ", text)
    assert "Lagebild Rohstoffversorgung" in flat
    assert pages >= 1 + 2  # summary plus one page per strategic material of the round
    assert "1.234 t" in flat and "50 %" in flat  # disclosed demand and its coverage
    assert "4.321" not in flat and "4321" not in flat  # the hidden cell
    assert "nicht offengelegt" in flat
    assert "5.800" in flat  # HHI of contracted lithium hydroxide: 70² + 30²
    assert "10.5066/P144BA54" in flat  # the source is credited
    assert "3.096" in flat  # world HHI of lithium (MCS 2024, 2023)


@pytest.mark.django_db
def test_the_briefing_is_reproducible_and_english_on_request(login, analyst, world):
    client = login(analyst)
    params = {"round": world.pk, "as_of": AS_OF.isoformat()}
    first = client.get("/supply/briefing/", params).content
    second = client.get("/supply/briefing/", params).content
    assert _pdf_text(first)[0] == _pdf_text(second)[0]
    english = client.get("/supply/briefing/", params, HTTP_ACCEPT_LANGUAGE="en")
    # The agency prints the same disclosed figures the ministry gets: a PDF travels.
    text = re.sub(r"\s+", " ", _pdf_text(english.content)[0])
    assert "not disclosed" in text and "4,321" not in text and "1,234 t" in text


@pytest.mark.django_db
def test_the_briefing_refuses_a_round_the_reader_cannot_choose(login, ministry, world, member_a):
    assert (
        login(ministry)
        .get("/supply/briefing/", {"round": 99999, "as_of": "2027-01-01"})
        .status_code
        == 400
    )
    assert login(member_a).get("/supply/briefing/").status_code == 403


@pytest.mark.django_db
def test_the_ministry_dashboard_shows_sections_and_no_hidden_cell(login, ministry, world):
    html = login(ministry).get("/").content.decode()
    for heading in (
        "ministry-figures-heading",
        "supply-concentration-heading",
        "crma-heading",
        "h-stockpile-bands",
        "widget-portfolio",
    ):
        assert heading in html
    assert "4.321" not in html and "4321" not in html
    assert "nicht die der EU" in html  # the consortium's shares, said plainly
    assert "/supply/export/coverage.csv" in html and "/supply/export/crma.xlsx" in html
    csv = login(ministry).get("/supply/export/coverage.csv").content.decode("utf-8-sig")
    assert "1234" in csv and "4321" not in csv


@pytest.mark.django_db
def test_the_ministry_dashboard_reads_a_fixed_number_of_queries(
    login,
    ministry,
    world,
    materials,
    contract,
    published,
    make_round,
    django_assert_max_num_queries,
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(ministry)
    client.get("/")
    cache.clear()  # nothing kept: every section reads (docs/benchmarks.md, "Ministry dashboard")
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for index in range(3):
        round = make_round(state="aggregated", title=f"Runde {index}")
        published(
            [
                (m, Quarter(2028, q), "100", "10", True, True)
                for m in materials.values()
                for q in (1, 2)
            ],
            round=round,
        )
        contract(materials["ndpr-oxide"], "AU", {"2027-Q1": "5", "2027-Q2": "5"}, round=round)
    # the new positions and contracts change the data's markers: the sections read again at once
    with CaptureQueriesContext(connection) as seen:
        client.get("/")
    assert len(seen) > 5
    cache.clear()  # and with nothing kept, as many queries as before
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after) == len(before)
    assert not any("industry_demandline" in q["sql"] for q in after.captured_queries)
    # unchanged data: the sections are kept; the markers, the saved scenarios and the signed-in
    # user's own reads remain
    with CaptureQueriesContext(connection) as kept:
        client.get("/")
    assert len(kept) == 5
