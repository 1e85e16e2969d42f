"""Pages of tradinghouse: positions overview, the round dashboards (desk and agency, member,
ministry), exports, and the positions panel that the round page loads with htmx."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import json_script
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from rohstoff.core.access import DESK, POSITION_READERS, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.language import reader_language
from rohstoff.core.models import MaterialFamily

from . import charts, exports, policy, selectors, services, tables
from .policy import is_trustee

TOP_OPEN = 10


@allow(POSITION_READERS)
@require_GET
def position_overview(request):
    rounds = selectors.rounds_with_positions(request.user)
    return render(request, "tradinghouse/overview.html", {"rounds": rounds})


def _filter_or_message(request):
    try:
        return selectors.parse_filter(request.GET), None
    except selectors.FilterError as exc:
        return selectors.PositionFilter(), " ".join(
            m for messages_ in exc.errors.values() for m in messages_
        )


@allow(POSITION_READERS)
@require_GET
def round_dashboard(request, pk):
    """One round's positions as the reader may see them: the desk's dashboard (the agency's is
    the same, read-only), a member's view of its own demand against the disclosed pool, or the
    ministry's view of disclosed positions."""
    user = request.user
    round = selectors.round_get(user=user, pk=pk)
    position_set = selectors.current_set(round)
    flt, filter_error = _filter_or_message(request)
    trustee = is_trustee(user)
    context = {
        "round": round,
        "position_set": position_set,
        "flt": flt,
        "filter_error": filter_error,
        "trustee": trustee,
        "families": MaterialFamily.choices,
        "materials": round.materials.all(),
        "query": request.GET.urlencode(),
    }
    if position_set is None:
        return render(request, "tradinghouse/dashboard_empty.html", context)
    # A position set never changes once published (a re-aggregation publishes a new one), so what
    # a kind of reader sees of it can be kept: keyed by the set, the reader's view of it, the
    # language (names, number formats) and the parsed filter (not the query string: parameters
    # that select nothing must not add entries).
    key = dashboard_cache_key(
        position_set.pk, policy.reader_view(user), reader_language(request=request), flt
    )
    data = cache.get(key)
    if data is None:
        data = _dashboard_data(user=user, round=round, position_set=position_set, flt=flt)
        cache.set(key, data, DASHBOARD_CACHE_SECONDS)
    context.update(data)
    if policy.runs_aggregation(user):
        context["latest_job"] = services.latest_job(round)
    return render(request, context.pop("template"), context)


DASHBOARD_CACHE_VERSION = 9  # raise it when what the dashboards show changes
DASHBOARD_CACHE_SECONDS = 60 * 60


def dashboard_cache_key(
    position_set_id: int, reader_view: str, language: str, flt: selectors.PositionFilter
) -> str:
    return (
        f"dashboard:v{DASHBOARD_CACHE_VERSION}:{position_set_id}:{reader_view}:{language}:{flt.key}"
    )


def _dashboard_data(*, user, round, position_set, flt) -> dict:
    trustee = is_trustee(user)
    cells = selectors.position_cells(user=user, round=round, flt=flt, position_set=position_set)
    elements = selectors.element_cells(user=user, round=round, flt=flt, position_set=position_set)
    visible = [c for c in cells if c.visible]
    open_cells = sorted(
        (c for c in visible if c.open_t and c.open_t > 0),
        key=lambda c: (-c.open_t, c.material.sort_order, c.quarter),
    )[:TOP_OPEN]
    # What is kept is read back on every view (docs/benchmarks.md, "What the cache keeps"):
    # counts, tables rendered to HTML and figures rendered to their <script> elements, never the
    # hundreds of cell objects they were made from.
    data = {
        "cell_count": len(cells),
        "element_count": len(elements),
        "disclosed_count": sum(1 for c in cells if c.disclosed),
        "hidden_count": sum(1 for c in cells if not c.disclosed),
        # Members and the ministry: none visible means one sentence instead of empty charts.
        "visible_count": len(visible),
        "undisclosed_materials": _undisclosed_materials(cells),
        "top_open": open_cells,
        "top_open_figure": json_script(charts.top_open_figure(open_cells), "open-figure"),
    }
    rendered = {"elements": tables.element_rows(elements, trustee=trustee)}
    kind = policy.dashboard_kind(user)
    if kind == "member":
        rows, shares = selectors.member_view(user=user, position_set=position_set, cells=cells)
        rendered.update(member=tables.member_rows(rows), public=tables.public_rows(cells))
        data.update(
            {
                "shares": shares,
                "figure": json_script(charts.member_figure(rows), "member-figure"),
                "has_own": any(r.own_t for r in rows),
                "template": "tradinghouse/dashboard_member.html",
            }
        )
    elif kind == "public":
        rendered.update(coverage=tables.coverage_rows(cells), public=tables.public_rows(cells))
        data.update(
            figure=json_script(charts.coverage_figure(cells), "coverage-figure"),
            template="tradinghouse/dashboard_ministry.html",
        )
    else:
        rendered.update(
            demand=tables.desk_demand_rows(cells),
            positions=tables.trustee_rows(cells, desk=policy.sees_largest_firm(user)),
        )
        data.update(
            figure=json_script(charts.demand_figure(cells, trustee=True), "demand-figure"),
            template="tradinghouse/dashboard_desk.html",
        )
    data["tables"] = rendered
    return data


def _undisclosed_materials(cells) -> list:
    """Materials of which this reader sees no cell's figures: their charts would be empty axes."""
    shown = {c.material.pk for c in cells if c.visible}
    names: dict = {}
    for c in cells:
        if c.material.pk not in shown:
            names.setdefault(c.material.pk, c.material.name)
    return list(names.values())


@allow(POSITION_READERS)
@require_GET
def round_export(request, pk, fmt):
    user = request.user
    round = selectors.round_get(user=user, pk=pk)
    try:
        flt = selectors.parse_filter(request.GET)
    except selectors.FilterError as exc:
        return HttpResponse(
            " ".join(m for ms in exc.errors.values() for m in ms),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    by_element = request.GET.get("by") == "element"
    trustee = is_trustee(user)
    position_set = selectors.current_set(round)
    member = False
    if by_element:
        items = selectors.element_cells(user=user, round=round, flt=flt, position_set=position_set)
    else:
        items = selectors.position_cells(user=user, round=round, flt=flt, position_set=position_set)
        if policy.reads_own_firm_share(user) and position_set is not None:
            # The member's own demand and share beside each cell, as on its dashboard.
            items, _shares = selectors.member_view(
                user=user, position_set=position_set, cells=items
            )
            member = True
    name = f"positions-{slugify(round.title)[:40] or round.pk}{'-elements' if by_element else ''}"
    if fmt == "xlsx":
        body = exports.to_xlsx(
            items, trustee=trustee, by_element=by_element, member=member, title=round.title
        )
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        body = exports.to_csv(items, trustee=trustee, by_element=by_element, member=member)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _panel_context(request, round) -> dict:
    user = request.user
    position_set = selectors.current_set(round)
    job = services.latest_job(round) if policy.runs_aggregation(user) else None
    summary = None
    if position_set is not None:
        cells = position_set.cells.all()
        summary = {"cells": cells.count(), "disclosed": cells.filter(disclosed=True).count()}
        summary["hidden"] = summary["cells"] - summary["disclosed"]
    return {
        "round": round,
        "position_set": position_set,
        "summary": summary,
        "job": job,
        "running": job is not None and job.is_active,
        "failed": job is not None
        and job.state == "failed"
        and (position_set is None or job.created_at > position_set.created_at),
        "can_aggregate": policy.runs_aggregation(user)
        and round.state in services.AGGREGATABLE_STATES,
        "trustee": is_trustee(user),
    }


@allow(POSITION_READERS)
@require_GET
def round_panel(request, pk):
    """The positions panel of the round page (an htmx fragment). While a job runs it polls
    itself every second; when the job has ended the last poll answers 286, which stops polling
    and swaps in the result. A job that finished before the first look (eager mode) simply shows
    its result."""
    round = selectors.round_get(user=request.user, pk=pk)
    context = _panel_context(request, round)
    response = render(request, "tradinghouse/_panel.html", context)
    if request.GET.get("poll") and not context["running"]:
        stop = HttpResponseStopPolling(response.content)
        stop["Content-Type"] = response["Content-Type"]
        return stop
    return response


@allow(DESK)
@require_POST
def round_aggregate(request, pk):
    round = selectors.round_get(user=request.user, pk=pk)
    try:
        job, created = services.aggregation_start(round=round, actor=request.user)
    except (StateConflict, ValidationError) as exc:
        message = exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
        if request.htmx:
            context = _panel_context(request, round)
            context["error"] = message
            return render(request, "tradinghouse/_panel.html", context)
        messages.error(request, message)
        return redirect("tradinghouse:round_dashboard", pk=round.pk)
    if request.htmx:
        return render(request, "tradinghouse/_panel.html", _panel_context(request, round))
    if created:
        messages.success(
            request, _("The aggregation has started; the positions are replaced when it is done.")
        )
    else:
        messages.info(request, _("An aggregation of this round is already running."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("tradinghouse:round_dashboard", args=[round.pk])
    return redirect(back)
