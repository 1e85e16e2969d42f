"""Every page of every role, in German and English, at 1366 px and 390 px, in a real browser.

The pages are derived, not listed: every GET row of tests/core/access_table.txt that the table
lets the subject (a role, a staff admin, an anonymous visitor) open, with the objects of
tests/core/access_objects.py filled in, plus a round with disclosed and hidden cells, a signed
contract with deliveries, allocations and confirmations (tests/disclosure/conftest.py), so that
pages show tables and charts. Downloads, the API and JSON are left out by the content type of the
answer, so a new page or role is swept the day it gets a row in the table. What is checked, and
why: docs/page-sweep.md.

Checks that fail on a page another piece of work is still fixing are listed in ``PENDING`` below
(strict: an entry whose check passes fails the test, so the list only shrinks).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.navigation import click_and_load
from tests.conftest import TEST_PASSWORD, totp_code
from tests.core import access_objects
from tests.core.test_access_matrix import OK, path_for, read_table, routes, subjects
from tests.disclosure.conftest import disclosure_round  # noqa: F401 - fixtures used below
from tests.tradinghouse.conftest import add_line, aggregate, make_round  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("de", "en")
WIDE, NARROW = 1366, 390

# Temporary: (route, check[, subject]) -> why it still fails and who fixes it. ``check`` is one of
# the names in ``CHECKS``; an axe finding is "axe:<rule id>" ("axe" alone: every rule). A route
# ending in "*" covers every route that starts with it; a subject limits the entry to one role.
# Only failures in pages that other work owns belong here; the lead empties this after merging.
PENDING: dict[tuple[str, ...], str] = {}

CHECKS = ("overflow", "axe", "console", "decimals", "units", "separators", "language")

# axe-core: WCAG 2.0/2.1 A and AA plus axe's best practices (landmarks, headings, regions), every
# impact. docs/page-sweep.md says why each best practice matters to us.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# The second language's page has the first one's colours (the same stylesheet): contrast, axe's
# most expensive rule, is checked once per page, in German; every other rule in both languages.
AXE_SECOND_LANGUAGE = {**AXE_OPTIONS, "rules": {"color-contrast": {"enabled": False}}}

# Six decimals are how a tonnage is stored, never how it is written for a reader.
SIX_DECIMALS = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})*[.,]\d{6}(?!\d)")

# A column or term that names a quantity (German and English words of the pages) must carry its
# unit in the header or in every figure below it.
QUANTITY_WORDS = re.compile(
    r"\b(menge|mengen|bedarf|volumen|jahresvolumen|liefermenge|kontrahiert|zugeteilt|zuteilung|"
    r"geliefert|losgröße|mindestmenge|anteil|quantity|demand|volume|contracted|allocated|"
    r"allocation|delivered|lot size|minimum quantity|share)\b",
    re.IGNORECASE,
)
UNIT = re.compile(
    r"(?<![A-Za-zÄÖÜäöüß])(t|kg|lb|[Tt]onnen|[Tt]onnes|%|Lose|lots)(?![A-Za-zÄÖÜäöüß])"
)
FIGURE = re.compile(r"^[−+-]?\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})*(?:[.,]\d+)?$")

# Runs in the page: the findings of the checks that read the DOM.
PAGE_SCRIPT = """
([quantityWords, unit, figure, sixDecimals]) => {
  const q = new RegExp(quantityWords, "i"), u = new RegExp(unit), f = new RegExp(figure);
  const six = new RegExp(sixDecimals, "g");
  // Labels as written (textContent: a header's CSS capitals would turn "(t)" into "(T)").
  const text = (el) => (el.textContent || "").replace(/\\s+/g, " ").trim();
  const found = {decimals: [], units: [], separators: [], charts: 0};
  // Records shown verbatim as code (the audit log's before and after) are exempt.
  const body = document.body ? document.body.innerText : "";
  const code = [...document.querySelectorAll("pre, code")].map((el) => el.textContent).join(" ");
  found.decimals = [...new Set(body.match(six) || [])].filter((n) => !code.includes(n));
  found.decimals = found.decimals.slice(0, 5);
  document.querySelectorAll("table").forEach((table) => {
    const rows = [...table.rows];
    const head = rows.find((r) => r.querySelector("th") && !r.querySelector("td"));
    if (!head) return;
    const headers = [];
    [...head.cells].forEach((cell) => {
      for (let i = 0; i < (cell.colSpan || 1); i++) headers.push(text(cell));
    });
    // A column of units beside the figures ("Quantity", "Unit") names the unit for the row.
    if (headers.some((label) => /^(einheit|unit)$/i.test(label))) return;
    headers.forEach((label, col) => {
      // An index is not a quantity (the HHI runs from 0 to 10,000 without a unit).
      if (!q.test(label) || u.test(label) || /\\bHHI\\b|index/i.test(label)) return;
      rows.forEach((row) => {
        if (row === head) return;
        let at = 0;
        for (const cell of row.cells) {
          if (at === col) {
            const value = text(cell);
            if (f.test(value)) found.units.push(`${label}: ${value}`);
            break;
          }
          at += cell.colSpan || 1;
        }
      });
    });
  });
  document.querySelectorAll("dl").forEach((dl) => {
    dl.querySelectorAll("dt").forEach((dt) => {
      const dd = dt.nextElementSibling;
      if (!dd || dd.tagName !== "DD") return;
      const label = text(dt), value = text(dd);
      if (!q.test(label) || u.test(label) || /\\bHHI\\b|index/i.test(label)) return;
      if (f.test(value)) found.units.push(`${label}: ${value}`);
    });
  });
  // Every plotly chart drawn, whatever its markup; and a figure waiting in its JSON script.
  document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
    found.charts += 1;
    found.separators.push((chart.layout && chart.layout.separators) || "");
  });
  document.querySelectorAll("[data-chart]:not(.js-plotly-plot)").forEach((el) => {
    const source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) return;
    found.charts += 1;
    const layout = JSON.parse(source.textContent).layout || {};
    found.separators.push(layout.separators || "");
  });
  found.units = found.units.slice(0, 5);
  return found;
}
"""


def covers(entry: tuple[str, ...], route: str, subject: str) -> bool:
    pattern, _check, *who = entry
    if who and who[0] != subject:
        return False
    return pattern == route or (pattern.endswith("*") and route.startswith(pattern[:-1]))


class Findings:
    """What the sweep found for one subject: failures, and the PENDING entries that were needed."""

    def __init__(self, subject: str):
        self.subject = subject
        self.failures: list[str] = []
        self.pending_hit: set[tuple[str, ...]] = set()
        self.routes: set[str] = set()
        self.charts: dict[str, int] = {}

    def add(self, route: str, url: str, check: str, detail: str) -> None:
        for entry in PENDING:
            if entry[1] in (check, check.split(":", 1)[0]) and covers(entry, route, self.subject):
                self.pending_hit.add(entry)
                return
        self.failures.append(f"{url} [{check}] {detail}")

    def stale_pending(self) -> list[str]:
        """Entries for pages this sweep saw whose check passed: they must go (strict)."""
        return [
            f"{entry} passes now: remove it from PENDING ({reason})"
            for entry, reason in PENDING.items()
            if entry not in self.pending_hit
            and any(covers(entry, route, self.subject) for route in self.routes)
        ]


@pytest.fixture
def people(make_user, make_org, firm_a):
    """A user of every role (member firms' roles in firm A), a staff admin, nobody: keyed like
    the access table's columns."""
    from rohstoff.core.models import ROLES_BY_KIND, Role

    kind_of = {role: kind for kind, roles in ROLES_BY_KIND.items() for role in roles}
    users = {"anonymous": None}
    for role in Role.values:
        kind = kind_of[role]
        org = firm_a if kind == "member" else make_org(f"Org {kind}", kind)
        users[role] = make_user(role, org=org, email=f"{role}@sweep.example", name=f"Eva {role}")
    users["staff"] = make_user("", org=None, email="staff@sweep.example", staff=True)
    return users


@pytest.fixture
def world(people, make_user, make_org, disclosure_round, settings, tmp_path):  # noqa: F811
    """The access table's objects, with the round, contract and allocations replaced by the
    disclosure round's richer ones (positions with disclosed and hidden cells, a signed contract
    with a schedule, deliveries, a document and answered allocations)."""
    from contracts.models import ContractDocument, Delivery

    settings.MEDIA_ROOT = tmp_path
    objects = access_objects.build(people, make_user, make_org)
    contract = disclosure_round.contract
    desk = people["trading_desk"]
    for quarter, tonnes in ((contract.start_quarter, "402.5"), (contract.start_quarter + 1, "7.5")):
        delivery = Delivery.objects.create(
            contract=contract,
            quarter=quarter,
            delivered_on=datetime.date(2027, 2, 1),
            quantity_t=Decimal(tonnes),
            recorded_by=desk,
        )
    document = ContractDocument.objects.create(
        contract=contract,
        kind="contract",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="vertrag.pdf"),
        original_name="vertrag.pdf",
        content_type="application/pdf",
        size=15,
        sha256="1" * 64,
        uploaded_by=desk,
    )
    own = disclosure_round.allocation_round.allocations.filter(
        organisation=people["member"].organisation
    ).order_by("quarter")
    objects.update(
        round_aggregated=str(disclosure_round.pk),
        contract=str(contract.pk),
        delivery=str(delivery.pk),
        document=str(document.pk),
        allocation_round=str(disclosure_round.allocation_round.pk),
        allocation_a=str(own.last().pk),  # a share still to answer
    )
    return objects


def part_of(route: str) -> str:
    """The Django admin is swept apart from the rest: it is most of a staff admin's pages."""
    return "admin" if route.startswith("/admin/") else "site"


def parts() -> list[tuple[str, str]]:
    """(subject, part) for every subject and each part it has pages in: one test each."""
    _header, rows = read_table()
    return sorted(
        {
            (subject, part_of(row.route))
            for row in rows
            if row.method == "get"
            for subject in subjects()
            if row.expected[subject] == OK
        },
        key=lambda sp: (subjects().index(sp[0]), sp[1] != "site"),
    )


def pages_of(subject: str, part: str, objects: dict[str, str]) -> list[tuple[str, str]]:
    """(route, path) of every GET page of the table in ``part`` that ``subject`` may open, the
    API left out."""
    _header, rows = read_table()
    known = routes()
    found = []
    for row in rows:
        if row.method != "get" or row.expected[subject] != OK or part_of(row.route) != part:
            continue
        chain, pattern, api = known[(row.route, row.method)]
        if api:
            continue
        args = {k: objects[v[1:]] if v.startswith("@") else v for k, v in row.args}
        found.append((row.route, path_for(chain, pattern, args)))
    return found


def signed_in_page(context, live_server, user):
    """A fresh browser tab that reads ``language`` and is signed in as ``user`` (the real form and
    the second factor), or anonymous."""
    page = context.new_page()
    if user is not None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", TEST_PASSWORD)
        click_and_load(page, "main form button[type=submit]")
        if user.totp_secret:
            page.fill("input[name=code]", totp_code(user.totp_secret))
            click_and_load(page, "main form button[type=submit]")
        assert "/accounts/" not in page.url, f"{user.email} was not signed in: {page.url}"
    return page


def open_page(page, url: str) -> bool:
    """Load ``url``; False for what is not a page: a download, JSON or text, an htmx fragment."""
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" in str(exc):
            return False
        raise
    if response is None or not response.headers.get("content-type", "").startswith("text/html"):
        return False
    # The table's "ok" includes 400/409 for a request without its parameters (an export): not a
    # page anyone opens. A server error is a failure, not a page to skip.
    assert response.status < 500, f"{url} answers {response.status}"
    if response.status != 200:
        return False
    return response.text()[:200].lstrip().lower().startswith("<!doctype html")


WIDEST = """
() => {
  const width = document.documentElement.clientWidth, out = [];
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    if (right <= width + 1 || el.children.length || clipped(el)) continue;
    const cls = typeof el.className === "string" && el.className.trim();
    out.push(`${el.tagName.toLowerCase()}${cls ? "." + cls.split(/\\s+/).join(".") : ""}`
      + ` "${(el.textContent || "").trim().slice(0, 30)}" to ${Math.round(right)} px`);
    if (out.length === 3) break;
  }
  return out;
}
"""


FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def overflow(page) -> str:
    """How far the page itself scrolls sideways (a scrolling table region does not count), with
    the elements that stick out; empty when it fits. A chart redraws a moment after the window
    changes size: the page gets up to three seconds to settle."""
    try:
        page.wait_for_function(FITS, timeout=3000)
        return ""
    except PlaywrightTimeout:
        extra = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        return f"{extra} px too wide: {page.evaluate(WIDEST)}"


@pytest.mark.parametrize(("subject", "part"), parts(), ids=[f"{s}-{p}" for s, p in parts()])
def test_every_page_reads_well(
    subject, part, people, world, browser, browser_context_args, live_server
):
    """One test per role (and staff, and nobody; the admin apart), so that parallel runs share
    the work; both languages inside it, so the world is built once for both."""
    from axe_playwright_python.sync_playwright import Axe

    axe_script = Axe().axe_script
    findings = Findings(subject)
    swept = 0
    for language in LANGUAGES:
        context = browser.new_context(
            **{
                **browser_context_args,
                "locale": "de-DE" if language == "de" else "en-GB",
                "extra_http_headers": {"Accept-Language": language},
            }
        )
        # axe-core is in every page the context opens, instead of sent with each check.
        context.add_init_script(script=axe_script)
        options = AXE_OPTIONS if language == LANGUAGES[0] else AXE_SECOND_LANGUAGE
        try:
            page = signed_in_page(context, live_server, people[subject])
            swept += sweep(
                page, live_server.url, pages_of(subject, part, world), language, options, findings
            )
        finally:
            context.close()
    # The chart checks cannot pass on empty pages: the round's positions page draws charts.
    positions = "/positions/rounds/<int:pk>/"
    assert positions not in findings.routes or findings.charts[positions], "no chart drawn"
    problems = findings.failures + findings.stale_pending()
    assert not problems, f"{subject}, {swept} pages:\n" + "\n".join(problems)


def console_text(message) -> str:
    """The message and, for a resource that failed to load, which one. The favicon is asked for
    by the browser itself after an answer that is not a page (a health check, a download), not by
    any page, so its 404 is no page's error."""
    url = (message.location or {}).get("url", "")
    if url.endswith("/favicon.ico"):
        return ""
    return f"{message.text} ({url})" if "Failed to load resource" in message.text else message.text


def sweep(page, base: str, pages, language: str, axe_options, findings: Findings) -> int:
    """Check each page at both widths; returns how many pages it checked."""
    console: list[str] = []
    page.on("console", lambda m: m.type == "error" and console.append(console_text(m)))
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))
    seen: set[str] = set()
    for route, path in pages:
        url = base + path
        page.set_viewport_size({"width": WIDE, "height": 900})
        console.clear()
        if not open_page(page, url):
            continue
        landed = page.url.split("#", 1)[0]
        if landed in seen:  # a redirect to a page already checked (the admin's missing objects)
            continue
        seen.add(landed)
        findings.routes.add(route)
        where = f"{language} {path}" + (f" -> {landed.removeprefix(base)}" if landed != url else "")

        lang = page.evaluate("() => document.documentElement.lang")
        if lang != language:
            findings.add(route, where, "language", f"html lang={lang!r}")
        found = page.evaluate(
            PAGE_SCRIPT,
            [QUANTITY_WORDS.pattern, UNIT.pattern, FIGURE.pattern, SIX_DECIMALS.pattern],
        )
        if found["decimals"]:
            findings.add(route, where, "decimals", f"six decimals: {found['decimals']}")
        if found["units"]:
            findings.add(route, where, "units", f"quantities without a unit: {found['units']}")
        findings.charts[route] = findings.charts.get(route, 0) + found["charts"]
        expected = {"de": {",."}, "en": {"", ".,"}}[language]
        if wrong := [s for s in found["separators"] if s not in expected]:
            findings.add(route, where, "separators", f"plotly separators {wrong}")
        # axe reads each stylesheet again through the CSSOM: for one that imports another
        # (Django admin's forms.css) the browser reports inline styles and a relative import
        # against the page. Those messages are axe's, not the page's: they are left out.
        before_axe = len(console)
        violations = page.evaluate("o => axe.run(o)", axe_options)["violations"]
        del console[before_axe:]
        for violation in violations:
            targets = [n["target"] for n in violation["nodes"]][:3]
            findings.add(
                route,
                where,
                f"axe:{violation['id']}",
                f"({violation['impact']}) {violation['help']} at {targets}",
            )
        if wide := overflow(page):
            findings.add(route, where, "overflow", f"at {WIDE} px {wide}")
        # The phone: the same page narrowed.
        page.set_viewport_size({"width": NARROW, "height": 844})
        if wide := overflow(page):
            findings.add(route, where, "overflow", f"at {NARROW} px {wide}")
        for message in filter(None, dict.fromkeys(console)):
            findings.add(route, where, "console", message[:200])
    return len(seen)
