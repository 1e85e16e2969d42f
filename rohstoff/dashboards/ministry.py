"""The ministry's dashboard: its home page (docs/supply-security.md, "Ministry dashboard").

Sections are home-page widgets for the ministry, in this order: key figures (coverage per
material, disclosed cells only; registered in ``home_widgets``), supply concentration, the CRMA
2030 tracker, the stockpile's bands, the ministry's saved export-stop scenarios, the latest calls
for offers (demanded, offered, matched) and the agency's portfolio aggregates, then the links to every round's positions. Every section reads positions,
contracts and reference tables through the owning app's selectors, never demand lines, with a
fixed number of queries; all but the saved scenarios are kept in the cache (``kept``)."""

from __future__ import annotations

from django.utils import timezone

from rohstoff.core.access import MINISTRY
from rohstoff.supply import charts as supply_charts
from rohstoff.supply import selectors as supply_selectors
from rohstoff.supply import tables as supply_tables

from .kept import kept
from .widgets import Widget, register


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
    _register_agency_sections()
    _register_market_sections()


def _register_agency_sections() -> None:
    """The agency's sections (docs/stockpile.md, docs/scenarios.md, docs/portfolio.md): bands
    without tonnes, the reader's organisation's saved scenarios, and the portfolio's totals."""
    from agency.portfolio.widgets import portfolio_totals
    from agency.stockpile.widgets import saved_scenarios, stockpile_bands

    register(
        Widget(
            "agency/widgets/stockpile_bands.html",
            MINISTRY,
            kept("stockpile_bands", stockpile_bands),
            order=30,
            styles=("agency/stockpile.css",),
        )
    )
    register(Widget("agency/widgets/saved_scenarios.html", MINISTRY, saved_scenarios, order=40))
    register(
        Widget(
            "agency/widgets/portfolio_totals.html",
            MINISTRY,
            kept("portfolio_totals", portfolio_totals),
            order=50,
        )
    )


def market_calls(request) -> dict:
    from market.selectors import ministry_sections

    return {"market_sections": ministry_sections(user=request.user)}


def _register_market_sections() -> None:
    """Demanded, offered and matched tonnes of the latest matched calls for offers, disclosed
    cells only (docs/suppliers.md)."""
    register(
        Widget(
            "market/widgets/ministry_calls.html",
            MINISTRY,
            kept("market_calls", market_calls),
            order=45,
            charts=True,
        )
    )
