"""The platform shell: health check, API schema and docs without a CDN, plotly.js from the package,
friendly error pages, the CSP with its nonce, languages, the home page per role, and the
accessibility statement with its feedback form."""

import gzip
import re
from pathlib import Path
from unittest import mock

import brotli
import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

from rohstoff.core.access import DESK
from rohstoff.core.models import AccessibilityFeedback
from rohstoff.dashboards import widgets

# ---- health ----------------------------------------------------------------------------------


def test_healthz_checks_database_and_redis(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_healthz_reports_a_redis_outage_without_failing(client, db, settings):
    # Pages keep working without Redis and queued work waits in the outbox: the web container
    # must not be taken out of service (or restarted) for it.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["redis"].startswith("error")


def test_healthz_answers_503_when_the_database_is_down(client, db):
    from django.db import OperationalError

    with mock.patch("rohstoff.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OperationalError"


def test_healthz_without_redis_configured_checks_only_the_database(client, db, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz").json()["checks"] == {"database": "ok"}


# ---- API schema and docs ---------------------------------------------------------------------


def test_the_api_schema_is_valid_openapi_3(client, db):
    from drf_spectacular.validation import validate_schema

    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    assert "/api/v1/materials/" in schema["paths"] and "/api/v1/jobs/{id}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_the_api_docs_load_everything_from_our_own_origin(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page  # the init script may run under the CSP
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset


# ---- static files ----------------------------------------------------------------------------


def test_plotly_js_is_served_from_the_plotly_package(client, db):
    url = static("vendor/plotly.min.js")
    assert url == "/static/vendor/plotly.min.js"
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"plotly.js" in body[:500] and len(body) > 1_000_000
    assert Path(finders.find("vendor/plotly.min.js")).parent.name == "package_data"


def test_plotlys_stylesheet_is_generated_from_the_served_script(client, db):
    """plotly.js would inject these rules with a <style> element, which the CSP refuses."""
    response = client.get(static("vendor/plotly.css"))
    assert response.status_code == 200
    css = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    assert ".js-plotly-plot .plotly .modebar {" in css
    assert ".plotly-notifier {" in css  # the minifier's unquoted key
    assert "X " not in css and "Y " not in css  # placeholders expanded as plotly.js does


def test_collectstatic_for_production_includes_plotly(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "rohstoff.core.storage.CompressedHashedStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    # hashed for long caching, compressed beside
    for pattern in ("vendor/plotly.min.*.js", "vendor/plotly.*.css", "css/rohstoff.*.css"):
        hashed = list(tmp_path.glob(pattern))
        assert len(hashed) == 1, pattern
        assert hashed[0].with_name(hashed[0].name + ".gz").is_file()
    # the 500 page names the plain file, without the static tag that could be broken
    assert (tmp_path / "css" / "rohstoff.css").is_file()
    # A file and its hashed copy are compressed once; each has compressed files of its own bytes.
    for pattern in ("vendor/plotly.min.js", "vendor/plotly.min.*.js", "css/rohstoff.css"):
        (collected,) = tmp_path.glob(pattern)
        for suffix, decompress in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            packed = collected.with_name(collected.name + suffix).read_bytes()
            assert decompress(packed) == collected.read_bytes(), (pattern, suffix)
    # The demo runs with DEBUG on and still names the hashed files (docs/operations.md).
    settings.DEBUG = True
    from rohstoff.core.storage import CompressedHashedStorage

    url = CompressedHashedStorage(location=tmp_path).url("vendor/plotly.min.js")
    assert re.fullmatch(r"/static/vendor/plotly\.min\.[0-9a-f]{12}\.js", url), url


# ---- error pages, CSP ------------------------------------------------------------------------


def test_the_404_page_is_ours(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Diese Seite haben wir nicht gefunden" in response.content.decode()


def test_the_403_page_is_ours(login, member_a):
    response = login(member_a).get("/audit/")
    assert response.status_code == 403
    assert "nicht für Ihre Rolle freigegeben" in response.content.decode()


def test_the_500_page_is_ours_and_needs_nothing_that_could_be_broken(member_a, login):
    client = login(member_a)
    client.raise_request_exception = False
    with mock.patch("rohstoff.dashboards.views.render", side_effect=RuntimeError("boom")):
        response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Ein Fehler ist aufgetreten" in page and "Something went wrong" in page


def test_pages_send_a_csp_with_a_nonce_that_their_scripts_carry(login, member_a):
    response = login(member_a).get("/")
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "'unsafe-inline'" not in csp and "style-src 'self'" in csp
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)


FOUNDATION_PAGES = [
    "/",
    "/materials/",
    "/materials/ndpr-oxide/",
    "/account/",
    "/account/tokens/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accessibility/",
    "/no-such-page/",
]


@pytest.mark.parametrize("role", ["member_admin", "staff"])
def test_foundation_pages_have_no_inline_styles_or_unnonced_scripts(
    role, make_user, firm_a, role_users
):
    client = Client()
    client.force_login(role_users[role])
    pages = FOUNDATION_PAGES + ["/team/"] + (["/audit/"] if role == "staff" else [])
    for path in pages:
        response = client.get(path)
        page = response.content.decode()
        assert " style=" not in page, path
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        for tag in re.findall(r"<script[^>]*>", page):
            assert f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, (path, tag)


# ---- languages -------------------------------------------------------------------------------


def test_german_by_default_and_english_one_click_away(login, member_a):
    client = login(member_a)
    german = client.get("/").content.decode()
    assert '<html lang="de">' in german and "Willkommen" in german
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/materials/"})
    assert response.status_code == 302 and response["Location"] == "/materials/"
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english and "Welcome" in english
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert "Willkommen" in client.get("/").content.decode()


def test_the_browser_language_is_honoured_until_the_user_chooses(client, db):
    assert (
        '<html lang="en">'
        in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en").content.decode()
    )
    assert (
        '<html lang="de">'
        in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    )


# ---- the home page ---------------------------------------------------------------------------

# (the role's heading, a phrase from what it may do, a phrase no other role reads)
ROLE_PHRASES = {
    "member": ("Ihre Rolle: Mitglied", "Nachfrage Ihrer Firma", None),
    "member_admin": (
        "Ihre Rolle: Firmenadministration",
        "Laden Sie Kolleginnen und Kollegen",
        "Laden Sie Kolleginnen und Kollegen",
    ),
    "agency_analyst": (
        "Ihre Rolle: Analyse (Agentur)",
        "Projekte in Minen",
        "Jede Zelle der Beschaffungspositionen",
    ),
    "agency_approver": (
        "Ihre Rolle: Freigabe (Agentur)",
        "zweiten Faktor geschützt",
        "zweiten Faktor geschützt",
    ),
    "trading_desk": ("Ihre Rolle: Handelstisch", "als Treuhänder", "Nachfragerunden eröffnen"),
    "ministry_viewer": (
        "Ihre Rolle: Ministerium (Lesezugriff)",
        "Offengelegte Positionen und ihre Deckung",
        "Offengelegte Positionen und ihre Deckung",
    ),
    "staff": ("Ihre Rolle: Plattform-Administration", "Audit-Log", "Integrität seiner Hash-Kette"),
}


@pytest.mark.parametrize("role", list(ROLE_PHRASES))
def test_the_home_page_tells_each_role_what_it_may_do(role, role_users):
    client = Client()
    client.force_login(role_users[role])
    page = client.get("/").content.decode()
    heading, phrase, _exclusive = ROLE_PHRASES[role]
    assert heading in page and phrase in page
    for other, (_heading, _phrase, exclusive) in ROLE_PHRASES.items():
        if other != role and exclusive:
            assert exclusive not in page, (role, exclusive)


def test_the_home_page_links_only_to_pages_the_role_may_use(role_users):
    for role, user in role_users.items():
        client = Client()
        client.force_login(user)
        page = client.get("/")
        for section in page.context["nav_sections"]:
            for item in section["items"]:
                assert client.get(item["url"]).status_code == 200, (role, item["url"])


@pytest.fixture
def probe_widget(settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [*settings.TEMPLATES[0]["DIRS"], Path(__file__).parent / "templates"],
        }
    ]
    widget = widgets.register(
        widgets.Widget(
            "probe_widget.html", DESK, context=lambda request: {"who": request.user.email}, order=1
        )
    )
    yield widget
    widgets.WIDGETS.remove(widget)


def test_home_page_widgets_are_shown_to_the_roles_their_policy_allows(
    probe_widget, login, desk, member_a
):
    assert "Probe widget for desk@th.example" in login(desk).get("/").content.decode()
    assert "Probe widget" not in Client().get("/accounts/login/").content.decode()
    client = Client()
    client.force_login(member_a)
    assert "Probe widget" not in client.get("/").content.decode()


# ---- accessibility statement and feedback ----------------------------------------------------


def test_the_accessibility_statement_is_public(client, db):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "BITV 2.0" in page and "Schlichtungsstelle" in page and 'id="feedback"' in page


def test_feedback_is_stored_and_e_mailed(client, db, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accessibility/",
            {
                "message": "The chart on the positions page has no text alternative.",
                "contact": "a@b.example",
                "page_url": "/positions/1/",
            },
        )
    assert response.status_code == 302
    feedback = AccessibilityFeedback.objects.get()
    assert feedback.page_url == "/positions/1/" and feedback.user is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [settings.ACCESSIBILITY_CONTACT_EMAIL]
    assert "no text alternative" in mail.outbox[0].body and "a@b.example" in mail.outbox[0].body
    assert "Vielen Dank" in client.get("/accessibility/").content.decode()


def test_feedback_of_a_signed_in_user_names_them(
    login, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(member_a).post("/accessibility/", {"message": "Focus is hard to see.", "contact": ""})
    assert AccessibilityFeedback.objects.get().user == member_a


def test_empty_feedback_is_refused_and_nothing_is_sent(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accessibility/", {"message": "  ", "contact": ""})
    assert response.status_code == 200 and response.context["form"].errors["message"]
    assert not AccessibilityFeedback.objects.exists() and not mail.outbox


def test_feedback_is_rate_limited(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            assert client.post("/accessibility/", {"message": f"Report {i}"}).status_code == 302
        refused = client.post("/accessibility/", {"message": "Report 6"})
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert AccessibilityFeedback.objects.count() == 5 and len(mail.outbox) == 5


def test_the_home_page_shows_each_role_what_needs_its_attention(make_user, login, db):
    """Members see their open rounds and shares to answer, the desk its rounds and deliveries,
    agency and ministry the latest positions; nobody sees another role's panel."""
    panels = {
        "member": "Offene Nachfragerunden",
        "trading_desk": "Laufende Runden",
        "agency_analyst": "Neueste Beschaffungspositionen",
        "ministry_viewer": "Neueste Beschaffungspositionen",
    }
    for role, heading in panels.items():
        page = login(make_user(role)).get("/").content.decode()
        assert heading in page, role
        for other_role, other in panels.items():
            if other != heading:
                assert other not in page, (role, other_role)
