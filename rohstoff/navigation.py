"""The sidebar: sections of links, each shown only to users whose role the target page allows.

Visibility is derived from the target view's declared access policy, so navigation and access
can never disagree.
"""

from dataclasses import dataclass

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from industry.apps import ROUNDS_DESCRIPTION
from rohstoff.core.access import policy_of
from rohstoff.core.mfa import mfa_setup_pending
from tradinghouse.apps import POSITIONS_DESCRIPTION, POSITIONS_LINK, POSITIONS_SECTION


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    match_prefix: bool = True
    description: str = ""  # one line for the home page's tiles


SECTIONS = [
    (
        _("Workspace"),
        [
            Link("home", _("Overview"), match_prefix=False),
        ],
    ),
    (
        _("Demand"),
        [
            Link("industry:round_list", _("Demand rounds"), description=ROUNDS_DESCRIPTION),
            Link(
                "reported:list",
                _("Own contracts"),
                description=_(
                    "Contracts your firm concluded itself: they cover part of your demand."
                ),
            ),
        ],
    ),
    (
        POSITIONS_SECTION,
        [
            Link(
                "tradinghouse:position_overview", POSITIONS_LINK, description=POSITIONS_DESCRIPTION
            ),
        ],
    ),
    (
        _("Offtakes"),
        [
            Link(
                "contracts:book",
                _("Offtake contracts"),
                match_prefix=False,
                description=_("Long-term offtakes: terms, schedules, deliveries, documents."),
            ),
            Link(
                "contracts:dashboard",
                _("Coverage and book"),
                description=_(
                    "Coverage per material and quarter; volume by counterparty and country."
                ),
            ),
            Link(
                "contracts:due",
                _("Due, late, short"),
                description=_("Deliveries due this quarter, late or short."),
            ),
            Link(
                "contracts:prices",
                _("Prices and FX"),
                description=_("Index values and exchange rates entered by the desk."),
            ),
            Link(
                "contracts:my_allocations",
                _("My allocations"),
                description=_(
                    "Your firm's back-to-back shares: confirm or decline, deliveries, prices."
                ),
            ),
            Link(
                "contracts:overview",
                _("Offtake book (aggregates)"),
                description=_("Contracted tonnes per material, year and supplier country."),
            ),
        ],
    ),
    (
        _("Market"),
        [
            Link(
                "market:calls",
                _("Calls for offers"),
                description=_(
                    "Suppliers offer against the published pooled demand; matching into draft offtakes."
                ),
            ),
        ],
    ),
    (
        _("Agency"),
        [
            Link(
                "agency:projects",
                _("Projects"),
                description=_("Mines, refineries and recycling plants the offtakes come from."),
            ),
            Link(
                "agency:proposals",
                _("Stake proposals"),
                description=_("Proposals from the analyst's draft to the committee's approval."),
            ),
            Link(
                "agency:portfolio",
                _("Portfolio"),
                description=_(
                    "Approved stakes: committed and disbursed EUR by material, country and instrument."
                ),
            ),
            Link(
                "agency:offtake_rights",
                _("Offtake rights"),
                description=_("Offtake rights of approved stakes and the contracts they became."),
            ),
            Link(
                "agency:stockpile",
                _("Stockpile"),
                match_prefix=False,
                description=_("Holdings, days of cover, movements and release approvals."),
            ),
        ],
    ),
    (
        _("Supply security"),
        [
            Link(
                "supply:concentration",
                _("Supply concentration"),
                match_prefix=False,
                description=_(
                    "World production and our contracted supply by country: shares, HHI."
                ),
            ),
            Link(
                "supply:crma",
                _("CRMA 2030 tracker"),
                description=_("The consortium's shares against the EU's 2030 benchmarks."),
            ),
            Link(
                "supply:briefing",
                _("Briefing (PDF)"),
                description=_("Lagebild Rohstoffversorgung for a round and a date, to print."),
            ),
            Link(
                "scenarios:run",
                _("Export-stop scenarios"),
                description=_("What if countries stop exporting? Demand uncovered, stockpile."),
            ),
            Link(
                "agency:stockpile_bands",
                _("Stockpile bands"),
                description=_("Per material: days of cover below, within or above the target."),
            ),
        ],
    ),
    (
        pgettext_lazy("navigation section", "Reference"),
        [
            Link(
                "material_list",
                _("Materials"),
                description=_("The reference list: codes, chemical forms and element content."),
            ),
        ],
    ),
    (
        _("Administration"),
        [
            Link(
                "team",
                _("Team"),
                description=_("Invite and remove people, revoke their API tokens."),
            ),
            Link(
                "api_tokens",
                _("API tokens"),
                description=_("Personal keys for your ERP or scripts."),
            ),
            Link(
                "audit_log",
                _("Audit log"),
                description=_("Every change, append-only, with its integrity check."),
            ),
            Link(
                "admin:index", _("Admin"), description=_("Organisations, users and reference data.")
            ),
        ],
    ),
]


def _visible_links(user, setup_pending=False):
    for title, links in SECTIONS:
        items = []
        for link in links:
            url = reverse(link.url_name)
            policy = policy_of(resolve(url).func)
            if policy is None or isinstance(policy, dict) or not policy.allows(user):
                continue
            if setup_pending and not policy.mfa_exempt:
                continue  # the page would send the user to the second factor's set-up
            items.append((link, url))
        if items:
            yield title, items


def navigation(request):
    """The sidebar's sections for the signed-in user. Worked out once per request: every
    template rendered with the request (each home-page widget) runs the context processors."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_sections": []}
    kept = getattr(request, "_rohstoff_navigation", None)
    if kept is not None and kept[0] == (user.pk, request.path):
        return kept[1]
    result = _navigation(request, user)
    request._rohstoff_navigation = ((user.pk, request.path), result)
    return result


def _navigation(request, user):
    path = request.path
    sections = []
    setup_pending = mfa_setup_pending(request)
    for title, items in _visible_links(user, setup_pending=setup_pending):
        sections.append(
            {
                "title": title,
                "items": [
                    {
                        "label": link.label,
                        "description": link.description,
                        "url": url,
                        "current": path == url
                        or (link.match_prefix and url != "/" and path.startswith(url)),
                    }
                    for link, url in items
                ],
            }
        )
    return {"nav_sections": sections, "mfa_setup_pending": setup_pending}
