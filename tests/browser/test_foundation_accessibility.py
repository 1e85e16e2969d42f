"""Every page of the foundation passes axe-core (WCAG 2.1 AA: no serious or critical violation),
in German and in English."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from rohstoff.core.services import api_token_create, invitation_create
from tests.browser.navigation import click_and_load
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def people(make_user, make_org):
    firm = make_org("Schwarzwald Präzisionsmagnete GmbH", "member")
    return {
        "member": make_user(
            "member", org=firm, email="einkauf@magnete.example", name="Eva Einkauf"
        ),
        "member_admin": make_user(
            "member_admin", org=firm, email="admin@magnete.example", name="Lukas Schneider"
        ),
        "agency_analyst": make_user(
            "agency_analyst", email="analyst@agentur.example", name="Tobias Krüger"
        ),
        "agency_approver": make_user(
            "agency_approver", email="approver@agentur.example", name="Miriam Hoffmann"
        ),
        "trading_desk": make_user(
            "trading_desk", email="desk@handelshaus.example", name="Jana Weber"
        ),
        "ministry_viewer": make_user(
            "ministry_viewer", email="viewer@bmwe.example", name="Katrin Vogel"
        ),
        "staff": make_user("", staff=True, email="admin@rohstoff.example", name="Plattform-Admin"),
    }


def switch_to_english(page):
    click_and_load(page, page.get_by_test_id("language-switch"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("language", ["de", "en"])
def test_pages_before_signing_in(page, live_server, assert_accessible, language, db):
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        switch_to_english(page)
    for path in [
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accessibility/",
        "/accounts/signup/",
        "/invitation/no-such-key/",
        "/no-such-page/",
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page, f"{path} ({language})")


@pytest.mark.parametrize(
    "role",
    [
        "member",
        "member_admin",
        "agency_analyst",
        "agency_approver",
        "trading_desk",
        "ministry_viewer",
        "staff",
    ],
)
def test_the_home_page_of_each_role(role, people, browser_login, assert_accessible):
    page = browser_login(people[role])
    assert_accessible(page, f"home of {role}")
    switch_to_english(page)
    assert_accessible(page, f"home of {role} (en)")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_pages_of_a_member_administrator(
    people, browser_login, live_server, assert_accessible, language
):
    page = browser_login(people["member_admin"])
    if language == "en":
        switch_to_english(page)
    page.goto(f"{live_server.url}/account/tokens/")
    page.fill("input[name=name]", "ERP SAP")
    click_and_load(page, "main form button[type=submit]")
    expect(page.get_by_test_id("new-token")).to_be_visible()
    assert_accessible(page, "API tokens with a new token")
    page.goto(f"{live_server.url}/team/")
    page.fill("input[name=email]", "neu@magnete.example")
    click_and_load(page, "main form button[type=submit]")
    expect(page.locator(".messages")).to_be_visible()
    for path in [
        "/team/",
        "/materials/",
        "/materials/?family=lithium&q=hydro",
        "/materials/ndpr-oxide/",
        "/materials/?q=unobtainium",
        "/account/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accessibility/",
        "/audit/",
        "/no-such-page/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page, f"{path} ({language})")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_pages_of_a_staff_admin(
    people, browser_login, live_server, assert_accessible, language
):
    api_token_create(user=people["member"], name="ERP SAP")  # something in the audit log
    page = browser_login(people["staff"])
    if language == "en":
        switch_to_english(page)
    page.goto(f"{live_server.url}/audit/")
    click_and_load(page, "main .page-actions button[type=submit]")
    expect(page.locator(".alert--success")).to_be_visible()
    page.locator("main details summary").first.click()
    assert_accessible(page, f"audit log ({language})")
    for path in ["/team/", "/audit/?q=user", "/api/docs/"]:
        page.goto(f"{live_server.url}{path}")
        if path == "/api/docs/":  # check the rendered operations, not the empty page before them
            page.wait_for_selector(".opblock-summary", timeout=20000)
            page.locator(".opblock-summary-control").first.click()  # and one operation opened
            page.wait_for_selector(".opblock-body", timeout=10000)
        assert_accessible(page, f"{path} ({language})")


def test_the_second_factors_pages_of_the_desk(
    people, browser_login, live_server, assert_accessible
):
    page = browser_login(people["trading_desk"])
    page.goto(f"{live_server.url}/accounts/2fa/")
    assert_accessible(page, "two-factor overview")
    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/")
    if "reauthenticate" in page.url:
        assert_accessible(page, "confirm access")
        page.fill("input[name=password]", TEST_PASSWORD)
        click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    assert_accessible(page, "recovery codes")
    page.goto(f"{live_server.url}/accounts/2fa/totp/deactivate/")
    assert_accessible(page, "deactivation refused")
    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/generate/")
    assert_accessible(page, "generate recovery codes")


def test_password_reset_pages(people, page, live_server, assert_accessible):
    page.goto(f"{live_server.url}/accounts/password/reset/")
    page.fill("input[name=email]", people["member"].email)
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    assert_accessible(page, "reset requested")
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    assert_accessible(page, "choose a new password")
    page.fill("input[name=password1]", "a-brand-new-passphrase")
    page.fill("input[name=password2]", "a-brand-new-passphrase")
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/key/done/$"))
    assert_accessible(page, "password changed")


def test_the_invitation_accept_page(people, page, live_server, assert_accessible):
    _invitation, link = invitation_create(
        actor=people["staff"],
        email="neu@bmwe.example",
        full_name="Nina Neu",
        organisation=people["ministry_viewer"].organisation,
        role="ministry_viewer",
    )
    page.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    expect(page.locator("main")).to_contain_text("neu@bmwe.example")
    assert_accessible(page, "invitation accept")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    click_and_load(page, "main form button[type=submit]")
    expect(page.locator(".errorlist")).to_be_visible()
    assert_accessible(page, "invitation accept with errors")
    page.fill("input[name=password1]", "a-long-and-private-passphrase")
    page.fill("input[name=password2]", "a-long-and-private-passphrase")
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert_accessible(page, "sign in after accepting")


def test_the_403_page(people, browser_login, live_server, assert_accessible):
    page = browser_login(people["ministry_viewer"])
    response = page.goto(f"{live_server.url}/team/")
    assert response.status == 403
    assert_accessible(page, "403")
