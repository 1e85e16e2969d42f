"""No figure that disclosure control hides reaches a member or the ministry, on any page, API
endpoint or export, in either language (docs/disclosure.md).

The round of ``conftest.py`` has cells hidden for every reason, a disclosed cell whose firm and
indicative split is hidden, hidden element roll-ups, and contracted and allocated volume. Its
*secrets* are every hidden figure written in every way a page, chart, API answer or export could
print it. Each reader kind that is not a trustee (derived from ``Role``, so a new role is covered
the day it is added) then requests every URL pattern of the project that answers GET, with the
round, contract, allocation and line ids filled in, in German and in English: no secret may
appear. The positions pages, API and exports must show the disclosed figures, so the check
cannot pass because a page came back empty.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from rohstoff.core.access import POSITION_READERS
from rohstoff.core.formatting import format_number, format_tonnes
from rohstoff.core.models import Role, User
from tradinghouse.policy import is_trustee

from .conftest import EXPECTED_HIDDEN, EXPECTED_HIDDEN_ROLLUPS, EXPECTED_SPLIT_HIDDEN

LANGUAGES = ("de", "en")
QUANTITIES = ("demand_t", "demand_firm_t", "demand_indicative_t", "contributors")
QUANTITIES += ("contracted_t", "allocated_t", "open_t", "coverage")
# Patterns that cannot show a round's figures and must not be fetched by a sweep (sign-out, the
# language switch, the admin) or that only cost time (the OpenAPI schema and its viewer).
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "api/schema/", "api/docs/", "invitation/")


def disclosure_readers() -> list[str]:
    """Every role whose reader gets disclosure control: all roles but those the policy treats as
    trustees (``is_trustee``)."""
    return [role for role in Role.values if not is_trustee(User(role=role))]


def test_the_readers_under_disclosure_control_are_derived_from_the_roles():
    readers = disclosure_readers()
    assert {"member", "member_admin", "ministry_viewer"} <= set(readers)
    assert not {"trading_desk", "agency_analyst", "agency_approver"} & set(readers)


# ---- the secrets and how they could be written -------------------------------------------------


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text or "E" not in text else format(value, "f")


def written_forms(value: Decimal, *, share: bool = False) -> set[str]:
    """Every way a page, chart, API answer or export could write ``value``: the API's and the
    CSV's fixed decimals (point and comma), the plain number, a chart's float, and the reader's
    formatting in German and English (with thousands separators, rounded to 1-3 places; to whole
    tonnes for figures of 1,000 t and more). A share (coverage) also as a percentage."""
    forms = set()
    numbers = [value]
    if share:
        forms |= {f"{value:.4f}", f"{value:.4f}".replace(".", ",")}
        numbers = []
        percent = value * 100
        for places in (1, 2):
            for language in LANGUAGES:
                forms.add(format_number(percent, places, language=language) + " %")
    for number in numbers:
        forms |= {f"{number:.6f}", f"{number:.6f}".replace(".", ",")}
        forms |= {_plain(number), _plain(number).replace(".", ","), repr(float(number))}
        for places in (1, 2, 3) + ((0,) if abs(number) >= 1000 else ()):
            rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            forms |= {_plain(rounded), _plain(rounded).replace(".", ",")}
            for language in LANGUAGES:
                forms.add(format_number(number, places, language=language))
    forms = {f.replace("\u00a0", " ") for f in forms}
    # A bare whole number ("168", or "1238" rounded from 1,237.77) cannot be told from an id or
    # a page number (CI once found the id 1238 in the allocations API, where a hidden 1,237.77 t
    # rounds to it): search it with the unit every page writes after tonnes ("168 t"); the forms
    # with a thousands separator, the fixed-decimal and the float forms stay as they are.
    return {f"{f} t" if re.fullmatch(r"-?\d+", f) else f for f in forms}


@dataclass(frozen=True)
class Figure:
    what: str  # e.g. "lithium-hydroxide 2027-Q3 demand_t"
    value: Decimal
    share: bool = False

    def forms(self) -> set[str]:
        return written_forms(self.value, share=self.share)


def _current_cells(round):
    from tradinghouse.models import ElementCell, PositionCell

    cells = PositionCell.objects.filter(
        position_set__round=round, position_set__is_current=True
    ).select_related("material")
    elements = ElementCell.objects.filter(position_set__round=round, position_set__is_current=True)
    return list(cells), list(elements)


def _period(quarter: int) -> str:
    from rohstoff.core.periods import Quarter

    return str(Quarter.from_index(quarter))


def figures(round) -> tuple[list[Figure], list[Figure]]:
    """(secret, disclosed) figures of the round's current positions, read as the trustee sees
    them. Zero figures are left out: "0" is no secret, and it is everywhere."""
    from contracts.dashboards.selectors import confirmed_allocations_by_material

    secret, disclosed = [], []
    cells, elements = _current_cells(round)
    for c in cells:
        where = f"{c.material.code} {_period(c.quarter)}"
        for name in ("demand_t", "demand_firm_t", "demand_indicative_t"):
            value = getattr(c, name)
            split = name != "demand_t"
            shown = c.disclosed and (not split or (c.firm_disclosed and c.indicative_disclosed))
            if value:
                (disclosed if shown else secret).append(Figure(f"{where} {name}", value))
        for name in ("contracted_t", "allocated_t", "open_t", "coverage"):
            value = getattr(c, name)
            if value:
                target = disclosed if c.disclosed else secret
                target.append(Figure(f"{where} {name}", value, share=name == "coverage"))
    for e in elements:
        where = f"roll-up {e.element} {_period(e.quarter)}"
        for name in ("demand_t", "demand_lce_t"):
            value = getattr(e, name)
            if value:
                (disclosed if e.disclosed else secret).append(Figure(f"{where} {name}", value))
    # Totals that no position set stores but that follow firm demand (the offtake overview's
    # confirmed allocations per material) are withheld by the same rule.
    desk = User(role=Role.TRADING_DESK)
    for row in confirmed_allocations_by_material(user=desk):
        if row["tonnes"]:
            figure = Figure(
                f"confirmed allocations {row['contract__material__code']}", row["tonnes"]
            )
            (disclosed if row["disclosed"] else secret).append(figure)
    return secret, disclosed


def own_figures(round, organisation) -> tuple[list[Figure], list[Figure]]:
    """What a member firm may see of itself: (its own demand per cell and its own allocations,
    the fill rate of each of its allocations).

    The fill rate (its pro-rata share over its own remaining demand, docs/allocation.md) is the
    contract's volume over the pool's remaining firm demand, so where a hidden cell's demand is
    all firm and the contract is the round's first, it equals that cell's coverage. The member
    computes it from its own two figures anyway, so it is not a secret *to that member*; the
    pool's volume and demand stay secret (and are searched for)."""
    from contracts.models import Allocation
    from tradinghouse.models import FirmPosition

    own = [
        Figure(f"own {fp.material_id} {fp.quarter} {name}", getattr(fp, name))
        for fp in FirmPosition.objects.filter(
            position_set__round=round, position_set__is_current=True, organisation=organisation
        )
        for name in ("demand_t", "demand_firm_t", "demand_indicative_t")
        if getattr(fp, name)
    ]
    rates = []
    for a in Allocation.objects.filter(organisation=organisation):
        own += [
            Figure(f"own allocation {a.pk}", value)
            for value in (a.quantity_t, a.requested_t, a.computed_t)
            if value
        ]
        exact = Decimal(a.explanation["pro_rata_lots"]) * Decimal(a.explanation["lot_t"])
        rates.append(
            Figure(
                f"own fill rate {a.pk}",
                exact / Decimal(a.explanation["remaining_demand_t"]),
                share=True,
            )
        )
    return own, rates


class SecretFinder:
    """Finds any written form of a secret figure in a text, as a whole number: "1237.77" is not
    found in "11237.771" nor "15.04" in the date "15.04.2027". Forms in ``allowed`` (a figure the
    reader may see reads the same) are not searched."""

    def __init__(self, secrets: list[Figure], allowed: frozenset[str] = frozenset()):
        self.by_form: dict[str, list[str]] = {}
        for figure in secrets:
            for form in figure.forms() - allowed:
                self.by_form.setdefault(form, []).append(figure.what)
        alternatives = "|".join(re.escape(f) for f in sorted(self.by_form, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\d])(?<!\d[.,])(?:{alternatives})(?![.,]?\d)")

    def find(self, text: str) -> list[tuple[str, list[str]]]:
        return [(m.group(0), self.by_form[m.group(0)]) for m in self.pattern.finditer(text)]


def readable(response) -> str:
    """The response as text: an XLSX workbook read back cell by cell, everything else decoded;
    no-break spaces as plain spaces."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX workbook (a zip archive)
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        text = "\n".join(
            "\t".join("" if v is None else repr(v) if isinstance(v, float) else str(v) for v in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    else:
        text = content.decode("utf-8", errors="replace")
    for space in ("&nbsp;", "&#160;", "\\u00a0", "\u00a0", "\u202f"):
        text = text.replace(space, " ")
    return text


# ---- every URL that answers GET ----------------------------------------------------------------


def _patterns(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            # Named groups of path() and re_path() patterns alike.
            names = set(entry.pattern.regex.groupindex)
            yield prefix + str(entry.pattern), namespace + entry.name, names


def sweep_urls(round) -> list[str]:
    """Every GET URL of the project with the fixture's objects filled in: the round, its contract,
    allocation round and counterparty, every allocation, the demand lines of the firm whose line
    alone makes up a hidden part, the aggregation jobs and the round's materials; plus the query
    variants that select other figures (by element, filters, a chosen round)."""
    from contracts.models import Allocation
    from industry.models import DemandLine
    from rohstoff.core.models import Job

    objects = [
        round.pk,
        round.contract.pk,
        round.allocation_round.pk,
        round.contract.counterparty_id,
    ]
    allocations = list(Allocation.objects.values_list("pk", flat=True))
    lines = list(
        DemandLine.objects.filter(organisation=round.firms[2]).values_list("pk", flat=True)
    )
    jobs = [str(pk) for pk in Job.objects.values_list("pk", flat=True)]
    candidates = {
        "round_pk": [round.pk],
        "line_pk": lines,
        "fmt": ["csv", "xlsx"],
        "code": list(round.materials.values_list("code", flat=True)),
        "kind": ["concentration", "crma", "crma-trend", "coverage"],  # the supply exports
        "job_pk": jobs,  # a large demand export's job page and download
    }
    urls = set()
    for route, name, kwargs in _patterns(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or kwargs & {"format", "key", "upload_pk"}:
            continue
        if "pk" in kwargs:
            if "jobs/" in route:
                pks = jobs
            elif "allocations/" in route:
                pks = allocations
            else:
                pks = objects
            candidates["pk"] = pks
        combos = [{}]
        for kwarg in sorted(kwargs):
            combos = [{**c, kwarg: v} for c in combos for v in candidates[kwarg]]
        for combo in combos:
            with contextlib.suppress(NoReverseMatch):
                urls.add(reverse(name, kwargs=combo))
    dashboard = reverse("tradinghouse:round_dashboard", args=[round.pk])
    positions_api = reverse("api_round_positions", args=[round.pk])
    urls |= {
        f"{dashboard}?by=element",
        f"{dashboard}?material=lithium-hydroxide",
        f"{dashboard}?family=magnet-ree",
        f"{dashboard}?period=2027-Q3",
        f"{dashboard}?period=2027",
        f"{positions_api}?by=element",
        f"{positions_api}?material=lithium-hydroxide&period=2027-Q3",
        f"{positions_api}?by=element&period=2027-Q4",
        f"{reverse('contracts:dashboard')}?round={round.pk}",
        f"{reverse('tradinghouse:round_panel', args=[round.pk])}?poll=1",
    }
    for fmt in ("csv", "xlsx"):
        export = reverse("tradinghouse:round_export", args=[round.pk, fmt])
        urls |= {f"{export}?by=element", f"{export}?period=2027-Q3"}
    return sorted(urls)


# ---- the test ----------------------------------------------------------------------------------


@pytest.fixture
def reader(request, make_user, make_org, firm_a):
    role = request.param
    org = firm_a if User(role=role).is_member else None
    return make_user(role, org=org)


def _check_positions_api(client, round, lang, cells, elements):
    """The positions API: a hidden cell has every quantity null, a disclosed one its figures."""
    url = reverse("api_round_positions", args=[round.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    stored = {(c.material.code, _period(c.quarter)): c for c in cells}
    assert {(r["material"], r["period"]) for r in rows} == set(stored)
    for row in rows:
        cell = stored[(row["material"], row["period"])]
        assert row["disclosed"] == cell.disclosed
        if cell.disclosed:
            assert Decimal(row["demand_t"]) == cell.demand_t, row
            assert row["contributors"] == cell.contributors, row
        else:
            assert {k: row[k] for k in QUANTITIES} == dict.fromkeys(QUANTITIES), row
        if cell.disclosed and not (cell.firm_disclosed and cell.indicative_disclosed):
            assert (row["demand_firm_t"], row["demand_indicative_t"]) == (None, None), row
    response = client.get(f"{url}?by=element", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    stored = {(e.element, _period(e.quarter)): e for e in elements}
    assert {(r["element"], r["period"]) for r in rows} == set(stored)
    for row in rows:
        element = stored[(row["element"], row["period"])]
        if element.disclosed:
            assert Decimal(row["demand_t"]) == element.demand_t, row
        else:
            assert (row["demand_t"], row["demand_lce_t"]) == (None, None), row


def _check_exports(client, round, lang, cells):
    """CSV and XLSX: hidden rows have every quantity empty, disclosed rows their demand."""
    stored = {(c.material.code, _period(c.quarter)): c for c in cells}
    response = client.get(
        reverse("tradinghouse:round_export", args=[round.pk, "csv"]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if lang == "de" else ","))
    header, body = rows[0], rows[1:]
    assert len(body) == len(stored)
    quantity_columns = range(4, 12)  # demand .. coverage (exports.py column order)
    for row in body:
        cell = stored[(row[0], row[2])]
        if cell.disclosed:
            expected = f"{cell.demand_t:f}"
            assert row[4] == (expected.replace(".", ",") if lang == "de" else expected), row
        else:
            assert [row[i] for i in quantity_columns] == [""] * 8, (header, row)
    response = client.get(
        reverse("tradinghouse:round_export", args=[round.pk, "xlsx"]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(stored)
    for row in body:
        cell = stored[(row[0], row[2])]
        if cell.disclosed:
            assert Decimal(str(row[4])) == cell.demand_t, row
        else:
            assert [row[i] for i in quantity_columns] == [None] * 8, row


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("reader", disclosure_readers(), indirect=True)
def test_no_hidden_figure_reaches_a_reader_under_disclosure_control(
    disclosure_round, reader, lang, client
):
    round = disclosure_round
    cells, elements = _current_cells(round)
    # The round hides what it was built to hide (else the secrets below would not be secrets).
    assert {
        (c.material.code, _period(c.quarter)): c.hidden_reason for c in cells if not c.disclosed
    } == EXPECTED_HIDDEN
    assert {
        (c.material.code, _period(c.quarter))
        for c in cells
        if c.disclosed and not (c.firm_disclosed and c.indicative_disclosed)
    } == EXPECTED_SPLIT_HIDDEN
    assert {(e.element, _period(e.quarter)) for e in elements if not e.disclosed} == (
        EXPECTED_HIDDEN_ROLLUPS
    )
    secret, disclosed = figures(round)
    assert any(f.what.endswith("contracted_t") for f in secret)
    assert any(f.what.endswith("allocated_t") for f in secret)
    own, rates = own_figures(round, reader.organisation) if reader.is_member else ([], [])
    clash = {form for f in secret for form in f.forms()} & {
        form for f in disclosed + own for form in f.forms()
    }
    assert not clash, f"the fixture's secrets read like figures the reader may see: {clash}"
    finder = SecretFinder(secret, allowed=frozenset(form for f in rates for form in f.forms()))

    client.force_login(reader)
    leaks, answered = [], []
    for url in sweep_urls(round):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        if response.status_code != 200:
            continue
        answered.append(url)
        for form, what in finder.find(readable(response)):
            leaks.append(f"{url}: {form!r} = {', '.join(sorted(set(what)))}")
    assert not leaks, f"{reader.role} ({lang}) sees hidden figures:\n" + "\n".join(leaks)

    # Not vacuous: the reader got pages, and the pooled figures it may see are there.
    assert answered
    if reader.role not in POSITION_READERS.roles:
        return
    pooled = {
        reverse("home"),
        reverse("tradinghouse:position_overview"),
        reverse("tradinghouse:round_dashboard", args=[round.pk]),
        reverse("tradinghouse:round_export", args=[round.pk, "csv"]),
        reverse("tradinghouse:round_export", args=[round.pk, "xlsx"]),
        reverse("api_round_positions", args=[round.pk]),
        reverse("api_round_positions", args=[round.pk]) + "?by=element",
    }
    if reader.is_member:
        pooled |= {reverse("contracts:my_allocations")}
        pooled |= {reverse("contracts:my_allocations_export", args=[f]) for f in ("csv", "xlsx")}
    if reader.is_ministry:
        pooled |= {reverse("contracts:overview")}
    assert pooled <= set(answered), f"the sweep missed {pooled - set(answered)}"
    dashboard = client.get(
        reverse("tradinghouse:round_dashboard", args=[round.pk]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert dashboard.status_code == 200
    page = readable(dashboard)
    for c in cells:
        if c.disclosed:
            assert format_tonnes(c.demand_t, language=lang).replace("\u00a0", " ") in page
    for e in elements:
        if e.disclosed:
            assert format_tonnes(e.demand_t, language=lang).replace("\u00a0", " ") in page
    _check_positions_api(client, round, lang, cells, elements)
    _check_exports(client, round, lang, cells)
    if reader.is_member:
        mine = client.get(reverse("contracts:my_allocations"), HTTP_ACCEPT_LANGUAGE=lang)
        assert mine.status_code == 200 and round.contract.reference in readable(mine)
    if reader.is_ministry:
        overview = client.get(reverse("contracts:overview"), HTTP_ACCEPT_LANGUAGE=lang)
        assert format_tonnes(1600, language=lang).replace("\u00a0", " ") in readable(overview)


@pytest.mark.parametrize(
    "reader", [r for r in disclosure_readers() if r in POSITION_READERS.roles], indirect=True
)
def test_the_positions_api_with_a_token_applies_disclosure_too(disclosure_round, reader, api):
    """What an ERP or an analyst's script reads with an API token is the same disclosed view."""
    cells, elements = _current_cells(disclosure_round)
    _check_positions_api(api(reader), disclosure_round, "en", cells, elements)
