"""The foundation in a real browser: each role signs in through the real form (approver and desk
with their authenticator code) and sees its own navigation, the language switch, the way an
anonymous visitor is sent to sign in, and the second factor's set-up."""

import re

import pytest
from playwright.sync_api import expect

from rohstoff.core.access import policy_of
from rohstoff.navigation import SECTIONS
from tests.browser.navigation import click_and_load
from tests.conftest import TEST_PASSWORD, totp_code

pytestmark = pytest.mark.browser

ROLES = [
    "member",
    "member_admin",
    "agency_analyst",
    "agency_approver",
    "trading_desk",
    "ministry_viewer",
    "staff",
]


@pytest.fixture
def user_of(make_user, make_org):
    firm = make_org("Schwarzwald Präzisionsmagnete GmbH", "member")

    def make(role):
        if role == "staff":
            return make_user("", staff=True, email="admin@platform.example", name="Plattform-Admin")
        org = firm if role in ("member", "member_admin") else None
        return make_user(
            role, org=org, email=f"{role.replace('_', '.')}@browser.example", name=f"Test {role}"
        )

    return make


def expected_navigation(user) -> set[str]:
    """The links the sidebar must show: exactly the pages whose policy lets the user in."""
    from django.urls import resolve, reverse

    hrefs = set()
    for _title, links in SECTIONS:
        for link in links:
            url = reverse(link.url_name)
            policy = policy_of(resolve(url).func)
            if policy is not None and not isinstance(policy, dict) and policy.allows(user):
                hrefs.add(url)
    return hrefs


def sidebar_links(page) -> set[str]:
    return {a.get_attribute("href") for a in page.locator("#sidebar a").all()}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_sees_its_own_navigation(role, user_of, browser_login, live_server):
    user = user_of(role)
    page = browser_login(user)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("Willkommen")
    links = sidebar_links(page)
    assert links == expected_navigation(user)
    # Pages of other roles are not offered.
    assert ("/team/" in links) == (role in ("member_admin", "staff"))
    assert ("/audit/" in links) == (role == "staff")
    assert ("/admin/" in links) == (role == "staff")
    assert "/materials/" in links and "/" in links
    # The header says who is signed in, and as what.
    header = page.locator(".header-org")
    expect(header).to_contain_text(user.get_full_name())


def test_a_wrong_code_at_the_second_step_keeps_the_desk_out(user_of, page, live_server):
    desk = user_of("trading_desk")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", desk.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.fill("input[name=code]", "000000")
    click_and_load(page, "main form button[type=submit]")
    expect(page.locator(".errorlist")).to_be_visible()
    page.goto(f"{live_server.url}/")
    # Still at the door: the pending sign-in asks for the code again, nothing else is shown.
    expect(page).to_have_url(re.compile(r"/accounts/(login|2fa/authenticate)/"))
    assert page.locator("#sidebar").count() == 0


def test_the_language_switch_turns_the_page_german_and_english(user_of, browser_login, live_server):
    page = browser_login(user_of("member"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_contain_text("Willkommen")
    click_and_load(page, page.get_by_test_id("language-switch"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("#sidebar")).to_contain_text("Materials")
    page.goto(f"{live_server.url}/materials/")
    expect(page.locator("h1")).to_have_text("Materials")  # the choice sticks
    click_and_load(page, page.get_by_test_id("language-switch"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Materialien")
    expect(page).to_have_url(re.compile(r"/materials/$"))  # and stays on the page


def test_an_anonymous_visitor_is_sent_to_sign_in_and_comes_back(user_of, page, live_server):
    member = user_of("member")
    page.goto(f"{live_server.url}/materials/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/materials/$"))
    page.fill("input[name=login]", member.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/materials/")
    expect(page.locator("h1")).to_have_text("Materialien")


def test_approver_sets_up_the_second_factor_after_signing_in(
    make_user, make_org, page, live_server, assert_accessible
):
    approver = make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="neu@agentur.example", mfa=False
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", approver.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    click_and_load(page, "main form button[type=submit]")
    # Straight to the set-up; nothing else is offered until it is done.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert page.locator("#sidebar").count() == 0
    assert_accessible(page, "MFA set-up")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    click_and_load(page, "main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    assert_accessible(page, "recovery codes")
    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("Willkommen")


def test_the_api_docs_render_in_the_browser_without_any_outside_request(page, live_server, db):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rohstoff API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert not outside, outside
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_long_german_material_name_breaks_on_a_phone_instead_of_widening_the_page(
    user_of, browser_login, live_server
):
    """The material whose German name has the longest unbroken word ("Ammoniumparawolframat",
    21 letters) heads its page at 390 px without the page scrolling sideways: the heading
    breaks the word at the screen's edge."""
    from rohstoff.core.models import Material

    def longest_word(m):  # a hyphen is a place to break already
        return max(len(w) for w in re.split(r"[\s-]+", m.name_de))

    material = max(Material.objects.all(), key=longest_word)
    page = browser_login(user_of("member"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/materials/{material.code}/")
    heading = page.locator("main h1")
    expect(heading).to_have_text(material.name_de)
    assert longest_word(material) > 20
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = heading.bounding_box()
    assert box["x"] + box["width"] <= 390
