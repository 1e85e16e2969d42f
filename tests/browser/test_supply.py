"""The ministry's dashboard in a real browser, in German: its supply sections render with their
charts (no CSP error), pass axe-core, and the briefing downloads as a PDF whose text holds the
disclosed figures and no hidden cell (docs/supply-security.md)."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.navigation import click_and_load
from tests.dashboards.test_role_home import published  # noqa: F401
from tests.industry.conftest import make_round, materials  # noqa: F401
from tests.supply.conftest import contract, reference, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ministry_opens_its_dashboard_and_downloads_the_briefing(
    page,
    live_server,
    browser_login,
    assert_accessible,
    ministry,
    world,  # noqa: F811
):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(ministry)
    page.goto(f"{live_server.url}/")
    expect(page.locator("#supply-concentration-heading")).to_have_text("Versorgungskonzentration")
    expect(page.locator("#crma-heading")).to_have_text("CRMA-2030-Tracker")
    expect(page.locator('[data-chart="hhi-figure"] .main-svg').first).to_be_visible()
    expect(page.get_by_test_id("consortium-note")).to_contain_text("nicht die der EU")
    assert "4.321" not in page.content()
    assert_accessible(page, "ministry dashboard")

    click_and_load(page, page.get_by_role("link", name="Lagebild zum Ausdrucken (PDF)"))
    page.select_option("select[name=round]", str(world.pk))
    page.fill("input[name=as_of]", "2027-02-15")
    with page.expect_download() as download_info:
        page.get_by_test_id("briefing-download").click()
    body = Path(download_info.value.path()).read_bytes()
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    )
    assert "Lagebild Rohstoffversorgung" in text and "Runde Lagebild" in text
    assert "1.234 t" in text and "4.321" not in text
    assert not [e for e in errors if "Content Security Policy" in e], errors
