"""The legal pages (Impressum, privacy notice, Leichte Sprache) and formal German throughout.

Legal pages: public, in German and English, operator details from the LEGAL_* settings, linked
from every page's footer. Formal "Sie": the German catalogues of Django and allauth word some
strings informally; our catalogues override every one of them (docs/legal.md).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

LEGAL_PAGES = ["imprint", "privacy", "easy_read"]
HEADINGS = {
    ("imprint", "de"): "Impressum",
    ("imprint", "en"): "Legal notice (Impressum)",
    ("privacy", "de"): "Datenschutzerklärung",
    ("privacy", "en"): "Privacy notice",
    ("easy_read", "de"): "Informationen in Leichter Sprache",
    ("easy_read", "en"): "Easy Read information",
}
OPERATOR = {
    "LEGAL_OPERATOR_NAME": "Deutsche Rohstoffagentur (DERA)",
    "LEGAL_OPERATOR_ADDRESS": "Wilhelmstraße 25–30\n13593 Berlin",
    "LEGAL_REPRESENTATIVE": "Dr. Erika Musterfrau",
    "LEGAL_CONTACT_EMAIL": "kontakt@dera.example",
    "LEGAL_CONTACT_PHONE": "+49 30 123456",
    "LEGAL_REGISTER_ENTRY": "Amtsgericht Charlottenburg, HRB 000000",
    "LEGAL_VAT_ID": "DE000000000",
    "LEGAL_PRIVACY_OFFICER": "Datenschutzbeauftragter der DERA\ndatenschutz@dera.example",
    "LEGAL_SUPERVISORY_AUTHORITY": "Die Bundesbeauftragte für den Datenschutz (BfDI)",
}
UNSET = dict.fromkeys(OPERATOR, "")

# Informal address in German: the pronouns and the informal imperatives allauth uses.
INFORMAL = re.compile(
    r"\b(du|dein\w*|dir|dich|euch|euer|eure\w*|hast|bist|kannst|musst|möchtest|willst|"
    r"gib|versuche|wähle|bestätige|kontaktiere|lass|klick|melde dich)\b",
    re.IGNORECASE,
)


class _Text(HTMLParser):
    """The visible text of a page (no script or style), and its headings and landmarks."""

    def __init__(self):
        super().__init__()
        self.parts, self.headings, self.tags, self._skip, self._heading = [], [], set(), 0, None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("script", "style"):
            self._skip += 1
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [tag, ""]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, " ".join(self._heading[1].split())))
            self._heading = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._heading:
                self._heading[1] += data


def parse(response) -> _Text:
    parser = _Text()
    parser.feed(response.content.decode())
    return parser


def text_of(response) -> str:
    return " ".join(" ".join(parse(response).parts).split())


def get(path, language="de", client=None, **extra):
    client = client or Client()
    client.cookies["django_language"] = language
    return client.get(path, HTTP_ACCEPT_LANGUAGE=language, **extra)


# --- Legal pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", LEGAL_PAGES)
def test_legal_pages_are_public_in_both_languages_with_headings_and_landmarks(db, name, language):
    response = get(reverse(name), language)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    page = parse(response)
    assert page.headings[0] == ("h1", HEADINGS[name, language])
    assert [tag for tag, _text in page.headings].count("h1") == 1
    assert any(tag == "h2" for tag, _text in page.headings)
    assert {"header", "main", "footer"} <= page.tags


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_footer_links_the_legal_pages_on_public_and_signed_in_pages(db, member_a, language):
    labels = {
        "de": ["Impressum", "Datenschutz", "Leichte Sprache"],
        "en": ["Legal notice", "Privacy notice", "Easy Read"],
    }[language]
    signed_in = Client()
    signed_in.force_login(member_a)
    for response in (
        get("/accounts/login/", language),
        get("/", language, client=signed_in),
    ):
        footer = response.content.decode().split('<footer class="site-footer">')[1]
        footer = footer.split("</footer>")[0]
        for url_name, label in zip(LEGAL_PAGES, labels, strict=True):
            assert f'<a href="{reverse(url_name)}">{label}</a>' in footer


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_imprint_shows_the_configured_operator_details(db, settings, language):
    for name, value in OPERATOR.items():
        setattr(settings, name, value)
    response = get(reverse("imprint"), language)
    html, text = response.content.decode(), text_of(response)
    for name in (
        "LEGAL_OPERATOR_NAME",
        "LEGAL_REPRESENTATIVE",
        "LEGAL_CONTACT_PHONE",
        "LEGAL_REGISTER_ENTRY",
        "LEGAL_VAT_ID",
    ):
        assert OPERATOR[name] in text
    assert "Wilhelmstraße 25–30<br>13593 Berlin" in html
    assert '<a href="mailto:kontakt@dera.example">kontakt@dera.example</a>' in html
    assert 'href="tel:+4930123456"' in html
    assert "not yet provided" not in text and "noch nicht angegeben" not in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_privacy_notice_names_controller_officer_and_authority(db, settings, language):
    for name, value in OPERATOR.items():
        setattr(settings, name, value)
    response = get(reverse("privacy"), language)
    html = response.content.decode()
    assert OPERATOR["LEGAL_OPERATOR_NAME"] in html
    assert "Datenschutzbeauftragter der DERA<br>datenschutz@dera.example" in html
    assert OPERATOR["LEGAL_SUPERVISORY_AUTHORITY"] in html
    # The cookies it names are the ones the platform sets.
    for cookie in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        assert f"<code>{cookie}</code>" in html
    assert f"<code>{settings.LANGUAGE_COOKIE_NAME}</code>" in html


@pytest.mark.parametrize(
    ("language", "missing", "warning"),
    [
        ("de", "vom Betreiber noch nicht angegeben", "noch nicht vollständig eingetragen"),
        ("en", "not yet provided by the operator", "has not yet entered all of its details"),
    ],
)
def test_missing_operator_details_are_visible_gaps_not_silent_ones(
    db, settings, language, missing, warning
):
    for name, value in UNSET.items():
        setattr(settings, name, value)
    for name in ("imprint", "privacy"):
        text = text_of(get(reverse(name), language))
        assert warning in text
        assert missing in text
    settings.LEGAL_OPERATOR_NAME = OPERATOR["LEGAL_OPERATOR_NAME"]
    settings.LEGAL_OPERATOR_ADDRESS = OPERATOR["LEGAL_OPERATOR_ADDRESS"]
    settings.LEGAL_CONTACT_EMAIL = OPERATOR["LEGAL_CONTACT_EMAIL"]
    text = text_of(get(reverse("imprint"), language))
    assert warning not in text and missing not in text


def test_operator_details_are_read_from_the_environment(monkeypatch):
    """Configurable without code changes: the settings module reads LEGAL_* from the environment
    (a ``\\n`` in the address becomes a line break)."""
    import subprocess
    import sys

    env = {
        "LEGAL_OPERATOR_NAME": "Betreiber aus der Umgebung",
        "LEGAL_OPERATOR_ADDRESS": r"Zeile eins\nZeile zwei",
    }
    code = (
        "from django.conf import settings;"
        "print(repr((settings.LEGAL_OPERATOR_NAME, settings.LEGAL_OPERATOR_ADDRESS)))"
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == repr(("Betreiber aus der Umgebung", "Zeile eins\nZeile zwei"))


def test_the_easy_read_page_tells_where_to_get_help(db, settings):
    settings.LEGAL_CONTACT_EMAIL = ""
    settings.LEGAL_CONTACT_PHONE = ""
    html = get(reverse("easy_read")).content.decode()
    # Without an operator address the accessibility contact answers.
    email = settings.ACCESSIBILITY_CONTACT_EMAIL
    assert f'<a href="mailto:{email}">{email}</a>' in html
    assert f'href="{reverse("accessibility")}#feedback"' in html
    assert "Telefon" not in html
    settings.LEGAL_CONTACT_EMAIL = "hilfe@dera.example"
    settings.LEGAL_CONTACT_PHONE = "+49 30 123456"
    text = text_of(get(reverse("easy_read")))
    assert "Das ist unsere E-Mail-Adresse: hilfe@dera.example" in text
    assert "Das ist unsere Telefon·nummer: +49 30 123456" in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_easy_read_page_has_one_short_sentence_per_line(db, language):
    """Leichte Sprache: one statement per sentence, each sentence on its own line, short."""
    html = get(reverse("easy_read"), language).content.decode()
    body = html.split('id="legal-title"')[1].split("</article>")[0]
    lines = re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", body, flags=re.S)
    assert len(lines) > 30
    sentences = [
        s.strip() for line in lines for s in re.sub(r"<[^>]+>", "", line).split("\n") if s.strip()
    ]
    for sentence in sentences:
        # One sentence per line: nothing follows a full stop, question or exclamation mark.
        assert not re.search(r"[.?!]\s+\S", sentence), sentence
        assert len(sentence.split()) <= 12, sentence
        # No brackets and no abbreviations such as "z. B." or "bzw.".
        assert not re.search(r"\(|\bz\. ?B\.|\bbzw\.|\busw\.|\bd\. ?h\.", sentence), sentence
    assert "Roh·stoffe" in html or language == "en"


# --- Formal "Sie" ------------------------------------------------------------------------------


def third_party_catalogues() -> list[Path]:
    import allauth
    import django

    django_root = Path(django.__file__).parent
    return [
        Path(allauth.__file__).parent / "locale/de/LC_MESSAGES/django.po",
        django_root / "conf/locale/de/LC_MESSAGES/django.po",
        *sorted(django_root.glob("contrib/*/locale/de/LC_MESSAGES/django.po")),
    ]


def test_every_informal_string_of_django_and_allauth_reads_formally_in_german():
    """Our catalogues (LOCALE_PATHS) win over the third-party ones for each string those word
    informally; a new informal string in a future allauth release fails here."""
    informal = []
    with translation.override("de"):
        for path in third_party_catalogues():
            for entry in polib.pofile(str(path)).translated_entries():
                original = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
                if not INFORMAL.search(original):
                    continue
                if entry.msgid_plural:
                    shown = " ".join(
                        translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)
                    )
                elif entry.msgctxt:
                    shown = translation.pgettext(entry.msgctxt, entry.msgid)
                else:
                    shown = translation.gettext(entry.msgid)
                if INFORMAL.search(shown) or shown == entry.msgid:
                    informal.append(
                        f"{str(path).split('site-packages/')[-1]}: {entry.msgid!r} -> {shown!r}"
                    )
    assert not informal, "Informal or untranslated German:\n" + "\n".join(informal)


def test_the_informal_pattern_catches_what_allauth_writes():
    assert INFORMAL.search("Bitte versuche es später erneut.")
    assert INFORMAL.search("Gib deine E-Mail-Adresse ein")
    assert not INFORMAL.search("Bitte versuchen Sie es später erneut. Geben Sie Ihre Adresse ein.")


def assert_formal(response, context):
    text = text_of(response)
    found = INFORMAL.findall(text)
    assert not found, f"{context}: informal German {found} in: {text[:400]}"


def test_sign_in_password_reset_and_second_factor_pages_address_the_reader_formally(
    db, desk, member_a
):
    client = Client()
    client.cookies["django_language"] = "de"
    pages = {
        "login": client.get("/accounts/login/"),
        "login with a wrong password": client.post(
            "/accounts/login/", {"login": member_a.email, "password": "wrong-password-123"}
        ),
        "password reset": client.get("/accounts/password/reset/"),
        "password reset, empty form": client.post("/accounts/password/reset/", {"email": ""}),
        "password reset sent": client.get("/accounts/password/reset/done/"),
        "password reset, invalid link": client.get(
            "/accounts/password/reset/key/1-no-such-key/", follow=True
        ),
    }
    # allauth's own page (no template of ours): its text comes from the override catalogue.
    pages["verification e-mail sent"] = Client().get(
        "/accounts/confirm-email/", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert "Bestätigen Sie Ihre E-Mail-Adresse" in text_of(pages["verification e-mail sent"])
    assert "Anmelden" in text_of(pages["login"])
    # The second factor: signing in as the desk leads to the TOTP step.
    response = client.post("/accounts/login/", {"login": desk.email, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    pages["TOTP code"] = client.get(reverse("mfa_authenticate"))
    pages["TOTP code, wrong"] = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    # Setting up the TOTP factor, and signing out, as a signed-in member without one.
    member = Client()
    member.cookies["django_language"] = "de"
    member.force_login(member_a)
    pages["2fa overview"] = member.get("/accounts/2fa/")
    # Enabling TOTP asks for the password again first.
    pages["password again"] = member.get("/accounts/2fa/totp/activate/", follow=True)
    member.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    pages["TOTP set-up"] = member.get("/accounts/2fa/totp/activate/")
    pages["TOTP set-up, wrong code"] = member.post("/accounts/2fa/totp/activate/", {"code": "1"})
    pages["sign out"] = member.get("/accounts/logout/")
    for context, page in pages.items():
        assert page.status_code == 200, context
        assert_formal(page, context)


# --- Browser: accessible at desktop and phone width ----------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["de", "en"])
def test_legal_pages_pass_axe_and_fit_the_screen(
    page, live_server, assert_accessible, settings, width, language
):
    for name, value in OPERATOR.items():
        setattr(settings, name, value)
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    for name in LEGAL_PAGES:
        page.goto(f"{live_server.url}{reverse(name)}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("h1")).to_have_text(HEADINGS[name, language])
        assert_accessible(page, f"{name} ({language}, {width} px)")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} ({language}, {width} px) scrolls sideways by {overflow} px"
    # The footer leads there from the sign-in page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("footer").get_by_role(
        "link", name="Leichte Sprache" if language == "de" else "Easy Read"
    ).click()
    expect(page.locator("h1")).to_have_text(HEADINGS["easy_read", language])


# --- scripts/demo says what it is doing ----------------------------------------------------------

FAKE_PYTHON = """#!/bin/sh
echo "[python $*]"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && cp "$0" "$3/bin/pip"
fi
exit 0
"""


def run_demo(tmp_path) -> list[str]:
    import subprocess

    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(tmp_path / "python3"), "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(tmp_path / "project/scripts/demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=True,
    )
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line.strip()]


def test_the_demo_script_announces_each_step_before_it_runs(tmp_path):
    """The first start prints a line before installing, migrating, seeding and serving (with a
    stand-in for Python, so nothing is installed)."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "project/scripts").mkdir(parents=True)
    for name in ("demo", "_env.sh"):
        shutil.copy(root / "scripts" / name, tmp_path / "project/scripts" / name)
    shutil.copy(root / "pyproject.toml", tmp_path / "project/pyproject.toml")
    (tmp_path / "python3").write_text(FAKE_PYTHON)
    (tmp_path / "python3").chmod(0o755)

    first = run_demo(tmp_path)
    steps = [
        ("Creating the virtual environment in .venv…", "[python -m venv .venv]"),
        ("Installing Python packages (first run: about a minute)…", "[python -m pip install"),
        ("Preparing the database…", "[python manage.py migrate --no-input -v0]"),
        (
            "Compressing static files (hashed names, gzip and Brotli; first run: about a minute)…",
            "[python manage.py collectstatic --no-input -v0]",
        ),
        ("Loading demo data…", "[python manage.py seed_demo]"),
        (
            "Starting at http://127.0.0.1:8000 — demo logins: see above or README (stop with Ctrl+C)",
            "[python manage.py runserver 127.0.0.1:8000]",
        ),
    ]
    position = -1
    for announcement, command in steps:
        said = first.index(announcement)
        done = next(i for i, line in enumerate(first) if line.startswith(command))
        assert position < said < done, f"{announcement!r} not printed right before {command!r}"
        position = done

    # Later starts skip the installation and say nothing about it.
    again = run_demo(tmp_path)
    assert not any("Python packages" in line or "virtual environment" in line for line in again)
    assert "Preparing the database…" in again and "Loading demo data…" in again
