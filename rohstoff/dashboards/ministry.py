"""The ministry's dashboard: its home page (docs/supply-security.md, "Ministry dashboard").

Sections are home-page widgets for the ministry, in this order: key figures (coverage per
material, disclosed cells only), supply concentration, the CRMA 2030 tracker, then three slots
that other parts of the platform fill: stockpile bands, saved export-stop scenarios and the
agency's portfolio aggregates. Until a slot is filled it shows a short note. To fill one::

    from rohstoff.dashboards import ministry
    ministry.fill("stockpile", Widget("agency/widgets/bands.html", MINISTRY, bands_context))

(the widget takes the slot's place and order). Every section reads positions, contracts and
reference tables through the owning app's selectors, never demand lines, with a fixed number of
queries."""

from __future__ import annotations

from dataclasses import replace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rohstoff.core.access import MINISTRY
from rohstoff.supply import charts as supply_charts
from rohstoff.supply import selectors as supply_selectors
from rohstoff.supply import tables as supply_tables

from .kept import kept
from .widgets import WIDGETS, Widget, register

SLOTS = {
    "stockpile": (
        30,
        _("Stockpile"),
        _("Days-of-cover bands per material (below target, within, above) appear here."),
    ),
    "scenarios": (
        40,
        _("Export-stop scenarios"),
        _("Saved scenarios of an export stop and the demand it leaves uncovered appear here."),
    ),
    "portfolio": (
        50,
        _("Agency portfolio"),
        _(
            "Aggregates of the agency's stakes in mines, refineries and recycling plants appear here."
        ),
    ),
}
_placeholders: dict[str, Widget] = {}


def supply_concentration(request) -> dict:
    rows = supply_tables.concentration_rows(
        user=request.user,
        as_of=timezone.localdate(),
        edition=(edition := supply_selectors.current_edition()),
    )
    strategic = [r for r in rows if r["strategic"]]
    return {
        "edition": edition,
        "rows": strategic,
        "flagged": [r for r in strategic if r["flagged"]],
        "figure": supply_charts.hhi_figure(
            [r for r in strategic if r["world_hhi"] or r["contracted_hhi"]]
        ),
    }


def crma_tracker(request) -> dict:
    tracker = supply_selectors.crma_tracker(user=request.user)
    rows = [r for r in supply_tables.crma_rows(tracker) if r["third_country_share"] is not None]
    return {"rows": rows, "figure": supply_charts.crma_figure(rows)}


def _placeholder(slot: str) -> Widget:
    order, title, text = SLOTS[slot]
    return Widget(
        "dashboards/widgets/ministry_slot.html",
        MINISTRY,
        lambda request, slot=slot, title=title, text=text: {
            "slot": slot,
            "title": title,
            "text": text,
        },
        order=order,
    )


def fill(slot: str, widget: Widget) -> Widget:
    """Put ``widget`` in ``slot`` of the ministry's dashboard, in place of its note."""
    order = SLOTS[slot][0]
    placeholder = _placeholders.pop(slot, None)
    if placeholder in WIDGETS:
        WIDGETS.remove(placeholder)
    return register(replace(widget, order=order))


def register_all() -> None:
    register(
        Widget(
            "dashboards/widgets/supply_concentration.html",
            MINISTRY,
            kept("supply_concentration", supply_concentration),
            order=20,
            charts=True,
        )
    )
    register(
        Widget(
            "dashboards/widgets/crma_tracker.html",
            MINISTRY,
            kept("crma_tracker", crma_tracker),
            order=25,
            charts=True,
        )
    )
    for slot in SLOTS:
        if slot not in _placeholders:
            _placeholders[slot] = register(_placeholder(slot))
    _fill_slots()


def _fill_slots() -> None:
    """The agency's sections, in their slots (docs/stockpile.md, docs/scenarios.md,
    docs/portfolio.md): bands without tonnes, the reader's organisation's saved scenarios, and
    the portfolio's totals."""
    from agency.portfolio.widgets import portfolio_totals
    from agency.stockpile.widgets import saved_scenarios, stockpile_bands

    fill(
        "stockpile",
        Widget(
            "agency/widgets/stockpile_bands.html",
            MINISTRY,
            kept("stockpile_bands", stockpile_bands),
        ),
    )
    fill("scenarios", Widget("agency/widgets/saved_scenarios.html", MINISTRY, saved_scenarios))
    fill(
        "portfolio",
        Widget(
            "agency/widgets/portfolio_totals.html",
            MINISTRY,
            kept("portfolio_totals", portfolio_totals),
        ),
    )
