"""Pages of supply security: concentration, one material's detail, the CRMA tracker, their
exports and the printable briefing. Thin: parse, call selectors, render
(docs/supply-security.md)."""

from __future__ import annotations

import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rohstoff.core.access import AGENCY, CONSORTIUM, DESK, MINISTRY, allow
from rohstoff.core.exports import write_table
from rohstoff.core.models import Material
from rohstoff.core.shortcuts import get_visible_or_404

from . import charts, selectors, tables
from .forms import BriefingForm

BRIEFING_READERS = MINISTRY | AGENCY | DESK


def _today() -> datetime.date:
    return timezone.localdate()


@allow(CONSORTIUM)
@require_GET
def concentration(request):
    edition = selectors.current_edition()
    as_of = _today()
    rows = tables.concentration_rows(user=request.user, as_of=as_of, edition=edition)
    first = selectors.quarter_of(as_of)
    return render(
        request,
        "supply/concentration.html",
        {
            "edition": edition,
            "rows": rows,
            "flagged": [r for r in rows if r["flagged"]],
            "window_first": first,
            "window_last": first + (selectors.WINDOW_QUARTERS - 1),
            "figure": charts.hhi_figure([r for r in rows if r["world_hhi"] or r["contracted_hhi"]]),
        },
    )


@allow(CONSORTIUM)
@require_GET
def material_detail(request, code):
    material = get_visible_or_404(Material.objects.all(), code=code)
    edition = selectors.current_edition()
    as_of = _today()
    world = selectors.world_concentrations(edition=edition, materials=[material]).get(material.pk)
    contracted = selectors.contracted_concentrations(
        user=request.user, as_of=as_of, materials=[material]
    ).get(material.pk)
    shares = []
    if world and world.concentration:
        shares = [
            {
                "name": tables.country_name(s.key, s.name),
                "value": s.value,
                "percent": s.percent,
                "estimate": s.key in world.estimated,
                "third_country": s.third_country,
            }
            for s in world.concentration.shares
        ]
    first = selectors.quarter_of(as_of)
    return render(
        request,
        "supply/material_detail.html",
        {
            "material": material,
            "edition": edition,
            "world": world,
            "shares": shares,
            "contracted": contracted,
            "contracted_shares": [
                {
                    "name": tables.country_name(s.key),
                    "value": s.value,
                    "percent": s.percent,
                    "third_country": s.third_country,
                }
                for s in (contracted.window.shares if contracted else [])
            ],
            "window_first": first,
            "window_last": first + (selectors.WINDOW_QUARTERS - 1),
            "figure": charts.shares_figure(
                [(s["name"], s["percent"]) for s in shares], str(material)
            )
            if shares
            else None,
        },
    )


@allow(CONSORTIUM)
@require_GET
def crma(request):
    tracker = selectors.crma_tracker(user=request.user)
    rows = tables.crma_rows(tracker)
    return render(
        request,
        "supply/crma.html",
        {
            "rows": rows,
            "trend": tables.crma_trend_rows(tracker),
            "figure": charts.crma_figure(rows),
        },
    )


EXPORTS = ("concentration", "crma", "crma-trend", "coverage")


@allow(CONSORTIUM)
@require_GET
def export(request, kind, fmt):
    user = request.user
    if kind not in EXPORTS:
        raise Http404
    if kind == "concentration":
        rows = tables.concentration_rows(
            user=user, as_of=_today(), edition=selectors.current_edition()
        )
        columns = tables.concentration_columns(user)
    elif kind == "coverage":
        _round, _set, _cells, coverage = tables.latest_coverage(user)
        rows = tables.coverage_export_rows(coverage)
        columns = tables.COVERAGE_COLUMNS
    else:
        tracker = selectors.crma_tracker(user=user)
        trend = kind == "crma-trend"
        rows = tables.crma_trend_rows(tracker) if trend else tables.crma_rows(tracker)
        columns = tables.crma_columns(user, trend=trend)
    body, content_type = write_table(columns, rows, fmt, sheet=kind)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="supply-{kind}.{fmt}"'
    return response


@allow(BRIEFING_READERS)
@require_GET
def briefing(request):
    """The form; with a round and a date, the PDF."""
    from . import briefing as pdf

    form = BriefingForm(request.GET or None, user=request.user)
    if request.GET and form.is_valid():
        round = form.cleaned_data["round"]
        as_of = form.cleaned_data["as_of"]
        body = pdf.render_briefing(user=request.user, round=round, as_of=as_of)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="lagebild-{round.pk}-{as_of.isoformat()}.pdf"'
        )
        return response
    return render(
        request, "supply/briefing_form.html", {"form": form}, status=400 if request.GET else 200
    )
