"""Reads of the market that have rules. Every function that takes the acting user scopes to what
that user may see; anything else raises Http404, exactly like something missing. Every figure a
supplier or the ministry sees goes through ``tradinghouse.disclosure`` (docs/suppliers.md)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Sum

from industry.models import DemandRound
from rohstoff.core.shortcuts import get_visible_or_404
from tradinghouse.disclosure import present_cell, present_cell_to_supplier, present_market_cell
from tradinghouse.models import PositionCell

from . import policy
from .matching import engine, explain
from .models import (
    Call,
    MatchAllocation,
    MatchRun,
    Offer,
    OfferQuarter,
    OfferResult,
    OfferState,
)
from .runs import _landed_prices, decode_notes


def call_get(*, user, pk) -> Call:
    return get_visible_or_404(
        policy.calls_visible_to(user).select_related("round", "position_set"), pk=pk
    )


def calls_for(*, user):
    return policy.calls_visible_to(user).select_related("round").order_by("-opened_at", "-pk")


def rounds_with_published_positions():
    return (
        DemandRound.objects.filter(
            position_sets__is_current=True, position_sets__published_at__isnull=False
        )
        .distinct()
        .order_by("-closes_at")
    )


def _cells(call: Call):
    """The call's cells, a material's together in the catalogue's order (``Material.Meta``), then
    by quarter: the sheet names each material once above its quarters (two materials of the same
    ``sort_order`` would otherwise interleave)."""
    return (
        PositionCell.objects.filter(position_set_id=call.position_set_id)
        .select_related("material")
        .order_by("material__sort_order", "material__code", "quarter")
    )


def call_sheet(*, user, call: Call) -> list:
    """The call's cells as ``user`` may see them: a trustee every cell with its reason, anyone
    else what a supplier sees (disclosed demand only). The page, its export and the API."""
    if policy.reads_all_offers(user):
        return [present_cell(c, trustee=True) for c in _cells(call)]
    return supplier_sheet(call)


def supplier_sheet(call: Call) -> list:
    """The call's aggregate sheet as every supplier sees it: disclosed cells' demand, hidden
    cells marked hidden, nothing else."""
    return [present_cell_to_supplier(cell) for cell in _cells(call)]


def _offer_queryset(user):
    return (
        policy.offers_visible_to(user)
        .select_related("material", "supplier", "index")
        .prefetch_related(
            Prefetch("quarters", queryset=OfferQuarter.objects.order_by("quarter")), "documents"
        )
    )


def offer_get(*, user, pk) -> Offer:
    return get_visible_or_404(_offer_queryset(user).select_related("call__round"), pk=pk)


def offers_for(*, user, call: Call):
    return _offer_queryset(user).filter(call=call).order_by("material__sort_order", "pk")


def current_run(call: Call) -> MatchRun | None:
    return call.runs.filter(is_current=True).first()


def result_get(*, user, pk) -> OfferResult:
    return get_visible_or_404(
        policy.results_visible_to(user).select_related("run__call", "offer"), pk=pk
    )


def allocation_get(*, user, pk) -> MatchAllocation:
    return get_visible_or_404(policy.allocations_visible_to(user), pk=pk)


def _outcome(result: OfferResult) -> engine.OfferOutcome:
    return engine.OfferOutcome(
        offer_id=result.offer_id,
        status=result.status,
        offered_t=result.offered_t,
        matched_t=result.matched_t,
        minimum_t=result.offer.minimum_t,
        notes=tuple(decode_notes(result.notes)),
    )


def review(*, user, call: Call) -> dict:
    """The desk's review of the current run: per offer its result, explanation and allocations."""
    run = current_run(call)
    if run is None:
        return {"run": None, "results": []}
    results = list(
        policy.results_visible_to(user)
        .filter(run=run)
        .select_related("offer__material", "offer__supplier", "contract")
        .order_by("offer__material__sort_order", "offer_id")
    )
    allocations = defaultdict(list)
    for a in (
        policy.allocations_visible_to(user)
        .filter(run=run)
        .select_related("adjusted_by")
        .order_by("quarter")
    ):
        allocations[a.offer_id].append(a)
    audience = explain.DESK if policy.reads_all_offers(user) else explain.SUPPLIER
    rows = []
    for r in results:
        outcome = _outcome(r)
        rows.append(
            {
                "result": r,
                "offer": r.offer,
                "summary": explain.summary(outcome),
                "reasons": explain.describe(outcome, audience=audience),
                "allocations": allocations.get(r.offer_id, []),
            }
        )
    return {"run": run, "results": rows}


def call_figures(call: Call) -> dict[tuple[int, int], dict]:
    """Per (material id, quarter): offered tonnes (active offers), matched tonnes (current run),
    the landed prices' min / median / max (EUR/t) and the offered tonnes per origin country.
    A fixed number of queries whatever the call's size."""
    offers = list(
        call.offers.filter(state=OfferState.ACTIVE)
        .select_related("index")
        .prefetch_related(Prefetch("quarters", queryset=OfferQuarter.objects.order_by("quarter")))
    )
    prices, _inputs = _landed_prices(offers)
    figures: dict[tuple[int, int], dict] = defaultdict(
        lambda: {"offered_t": Decimal(0), "matched_t": Decimal(0), "prices": [], "countries": {}}
    )
    for offer in offers:
        for part in offer.quarters.all():
            cell = figures[(offer.material_id, part.quarter)]
            cell["offered_t"] += part.volume_t
            price = prices.get((offer.pk, part.quarter))
            if price is not None:
                cell["prices"].append(price)
            code = offer.origin_country.code
            cell["countries"][code] = cell["countries"].get(code, Decimal(0)) + part.volume_t
    matched = (
        MatchAllocation.objects.filter(run__call=call, run__is_current=True)
        .values_list("material_id", "quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by()
    )
    for material_id, quarter, tonnes in matched:
        figures[(material_id, quarter)]["matched_t"] = tonnes
    for cell in figures.values():
        values = sorted(cell.pop("prices"))
        cell["price_min"] = values[0] if values else None
        cell["price_max"] = values[-1] if values else None
        cell["price_median"] = statistics.median(values) if values else None
        cell["countries"] = sorted(cell["countries"].items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(figures)


def dashboard_cells(*, call: Call, trustee: bool) -> list:
    """The call's cells with their three figures through disclosure: trustees every cell with
    prices and country mix, anyone else disclosed cells only."""
    figures = call_figures(call)
    return [
        present_market_cell(
            cell, figures.get((cell.material_id, cell.quarter), {}), trustee=trustee
        )
        for cell in _cells(call)
    ]


def country_mix(cells) -> list[tuple[str, Decimal]]:
    """Offered tonnes per origin country over the call, per material (tonnes of different
    materials are never added): [(material, country, tonnes)]."""
    mix: dict[tuple, Decimal] = defaultdict(Decimal)
    names = {}
    for cell in cells:
        for code, tonnes in cell.countries or ():
            mix[(cell.material.pk, code)] += tonnes
            names[cell.material.pk] = cell.material
    return [
        (names[m], code, tonnes)
        for (m, code), tonnes in sorted(mix.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
    ]


MINISTRY_CALLS = 3  # the latest matched calls shown on the ministry's page


def ministry_sections(*, user) -> list[dict]:
    """The ministry's call figures (issue 13, item 6): for the latest matched calls, demanded,
    offered and matched tonnes of disclosed cells only, through disclosure. The template
    ``market/_ministry_calls.html`` renders them; ``rohstoff/dashboards/ministry.py`` wires it."""
    from . import charts

    sections = []
    calls = policy.calls_visible_to(user).filter(state="matched").order_by("-deadline")
    for call in calls.select_related("position_set")[:MINISTRY_CALLS]:
        cells = dashboard_cells(call=call, trustee=False)
        shown = [c for c in cells if c.visible]
        sections.append(
            {
                "call": call,
                "shown": shown,
                "hidden_count": len(cells) - len(shown),
                "trustee": False,
                "volume_chart": charts.volumes(shown),
                "volume_chart_id": f"volume-chart-{call.pk}",
            }
        )
    return sections
