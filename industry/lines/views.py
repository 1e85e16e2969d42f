"""Pages of demand lines: the member's demand grid (htmx), the export of lines, and the desk's
screening page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import DESK, MEMBERS, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors
from rohstoff.core.language import reader_language, uses_decimal_comma

from .. import exports
from ..demandexport import services as demandexport
from ..forms import ExcludeForm, LineForm, UploadForm
from ..models import Commitment, RoundState
from ..rounds.selectors import round_get, terms_accepted
from . import screening as screening_selectors
from . import selectors, services

LINES_PER_PAGE = 100


# ---- the member's grid -----------------------------------------------------------------------


def _period_choices(round) -> list[str]:
    years = [
        str(y)
        for y in range(round.first_period.year, round.last_period.year + 1)
        if round.first_quarter <= y * 4 and y * 4 + 3 <= round.last_quarter
    ]
    return years + [str(q) for q in round.quarters()]


def _grid_context(request, round, *, new_form=None, notice=None, notice_level="success") -> dict:
    lines = selectors.lines_visible_to(request.user, round=round)
    # A firm that uploads a large file has many thousand lines: the grid shows them a page at a
    # time (every row action keeps the page, ``?page=`` in its URL); totals cover all of them.
    page = Paginator(selectors.grid_lines(lines), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "round": round,
        "lines": selectors.grid_rows(page.object_list, round=round),
        "lines_page": page,
        "page_query": f"?page={page.number}" if page.number > 1 else "",
        "totals": selectors.material_totals(lines),
        "materials": round.materials.all(),
        "periods": _period_choices(round),
        "new_form": new_form or LineForm(round=round, prefix="new"),
        "upload_form": UploadForm(),
        "can_enter": round.is_open_for_entry,
        "acceptance": terms_accepted(user=request.user, round=round),
        "notice": notice,
        "notice_level": notice_level,
        "decimal_comma": uses_decimal_comma(),
    }


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def demand_grid(request, pk):
    """GET: the grid. POST: add a line (htmx answers the form, the rows and the totals)."""
    round = round_get(user=request.user, pk=pk)
    if request.method == "GET":
        return render(request, "industry/demand_grid.html", _grid_context(request, round))
    form = LineForm(request.POST, round=round, prefix="new")
    notice, level = None, "success"
    if form.is_valid():
        try:
            line, outcome = services.line_enter(
                round=round, actor=request.user, **form.service_values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            notice, level = exc.message, "error"
        else:
            if outcome == services.LineOutcome.REPLACED:
                notice, level = (
                    _(
                        "%(material)s %(period)s: this replaced the existing line with the same material, grade, "
                        "period and delivery country."
                    )
                    % {"material": line.material.name, "period": line.period},
                    "warning",
                )
            else:
                notice = _("Line added: %(material)s %(period)s.") % {
                    "material": line.material.name,
                    "period": line.period,
                }
            form = None
    if not request.htmx:
        if notice:
            getattr(messages, level)(request, notice)
        if form is None or notice:
            return redirect("industry:demand_grid", pk=round.pk)
        return render(
            request, "industry/demand_grid.html", _grid_context(request, round, new_form=form)
        )
    # Keyboard users continue where they are: in the next line, or at the first field to correct.
    form = form or LineForm(round=round, prefix="new")
    first_error = next((name for name in form.fields if name in form.errors), "material")
    form.fields[first_error].widget.attrs["autofocus"] = True
    context = _grid_context(request, round, new_form=form, notice=notice, notice_level=level)
    return render(request, "industry/_grid_add_response.html", context)


def _table_response(
    request, round, *, editing=None, edit_form=None, conflict=None, notice=None, level="success"
):
    """The lines table (the htmx target of every row action) with the totals and the notice."""
    context = _grid_context(request, round, notice=notice, notice_level=level)
    context.update(editing=editing, edit_form=edit_form, conflict=conflict)
    return render(request, "industry/_grid_table_response.html", context)


def _edit_form(round, line, data=None, *, initial=None) -> LineForm:
    return LineForm(data, round=round, prefix=f"line-{line.pk}", initial=initial)


@allow(MEMBERS)
@require_GET
def lines_table(request, pk):
    round = round_get(user=request.user, pk=pk)
    return render(request, "industry/_lines_table.html", _grid_context(request, round))


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def line_edit(request, pk, line_pk):
    round = round_get(user=request.user, pk=pk)
    line = selectors.own_line_get(user=request.user, round=round, pk=line_pk)
    if request.method == "GET":
        form = _edit_form(round, line, initial=LineForm.initial_for(line))
        form.fields["material"].widget.attrs["autofocus"] = True
        context = _grid_context(request, round)
        context.update(editing=line.pk, edit_form=form)
        return render(
            request,
            "industry/_lines_table.html" if request.htmx else "industry/demand_grid.html",
            context,
        )
    form = _edit_form(round, line, request.POST)
    conflict = None
    if form.is_valid():
        try:
            line = services.line_update(
                line=line,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.service_values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            conflict = exc.message
            current = selectors.line_get(
                user=request.user, round=round, pk=line_pk, include_withdrawn=True
            )
            if current.withdrawn_at is not None or not round.is_open_for_entry:
                if not request.htmx:
                    messages.error(request, conflict)
                    return redirect("industry:demand_grid", pk=round.pk)
                return _table_response(request, round, notice=conflict, level="error")
            # Show the colleague's values (and their version), so that the user decides again.
            form = _edit_form(round, current, initial=LineForm.initial_for(current))
        else:
            notice = _("Saved: %(material)s %(period)s.") % {
                "material": line.material.name,
                "period": line.period,
            }
            if not request.htmx:
                messages.success(request, notice)
                return redirect("industry:demand_grid", pk=round.pk)
            return _table_response(request, round, notice=notice)
    if not request.htmx:
        context = _grid_context(request, round, notice=conflict, notice_level="error")
        context.update(editing=line.pk, edit_form=form, conflict=conflict)
        return render(request, "industry/demand_grid.html", context)
    return _table_response(
        request,
        round,
        editing=line.pk,
        edit_form=form,
        conflict=conflict,
        notice=conflict,
        level="error",
    )


@allow(MEMBERS)
@require_POST
def line_withdraw(request, pk, line_pk):
    round = round_get(user=request.user, pk=pk)
    line = selectors.own_line_get(user=request.user, round=round, pk=line_pk)
    version = request.POST.get("version")
    try:
        services.line_withdraw(
            line=line,
            actor=request.user,
            expected_version=int(version) if str(version).isdigit() else None,
        )
    except StateConflict as exc:
        notice, level = exc.message, "error"
    else:
        notice, level = (
            _("Line withdrawn: %(material)s %(period)s. Its history is kept.")
            % {"material": line.material.name, "period": line.period},
            "success",
        )
    if not request.htmx:
        getattr(messages, level)(request, notice)
        return redirect("industry:demand_grid", pk=round.pk)
    return _table_response(request, round, notice=notice, level=level)


@allow(MEMBERS | DESK)
@require_GET
def demand_export(request, pk, fmt):
    """A member: its own firm's lines. The desk: every line of the round, with the firm."""
    round = round_get(user=request.user, pk=pk)
    # Too many lines for a request: a background job writes the file (docs/operations.md).
    if demandexport.is_large(request.user, round):
        job, _created = demandexport.export_job_start(
            user=request.user, round=round, fmt=fmt, language=reader_language(request=request)
        )
        return redirect("industry:export_job", round.pk, job.pk)
    # Written to a temporary file on disk (bounded memory), by the database where it can
    # (docs/benchmarks.md), then sent.
    written, _lines = demandexport.export_written(user=request.user, round=round, fmt=fmt)
    name = demandexport.file_name(round, fmt)
    return exports.file_download(
        written, name, exports.XLSX_TYPE if fmt == "xlsx" else exports.CSV_TYPE
    )


# ---- screening (desk) ------------------------------------------------------------------------


# Lines per page: each row carries its history and its exclusion form (docs/screening.md).
SCREENING_PAGE_SIZE = 25
SCREENING_FILTERS = ("firm", "firm_name", "material", "period", "commitment", "status", "sort")


@allow(DESK)
@require_GET
def screening(request, pk):
    round = round_get(user=request.user, pk=pk)
    filters = {name: request.GET.get(name, "").strip() for name in SCREENING_FILTERS}
    filters["sort"] = (
        filters["sort"] if filters["sort"] in screening_selectors.SORTS else "material"
    )
    flagged = request.GET.get("flagged") == "1"
    screened = screening_selectors.screening_lines(
        user=request.user, round=round, flagged=flagged, **filters
    )
    page = Paginator(screened, SCREENING_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "industry/screening.html",
        {
            "round": round,
            "page": page,
            "filters": filters,
            "flagged": flagged,
            "total": len(screened),
            "firms": screening_selectors.round_firms(round, screened.versions),
            "materials": round.materials.all(),
            "periods": _period_choices(round),
            "commitments": Commitment.choices,
            "sorts": _sort_labels(),
            "query": query.urlencode(),
            "factor": screening_selectors.OUTLIER_FACTOR,
            "can_screen": round.state in (RoundState.OPEN, RoundState.CLOSED),
            "exclude_form": ExcludeForm(),
        },
    )


def _sort_labels():
    return [
        ("material", _("Material, period")),
        ("firm", _("Firm")),
        ("period", _("Period")),
        ("-quantity_t", _("Largest quantity first")),
        ("quantity_t", _("Smallest quantity first")),
        ("-updated_at", _("Latest change first")),
    ]


def _screening_back(request, round):
    back = request.POST.get("next", "")
    url = reverse("industry:screening", args=[round.pk])
    return redirect(f"{url}?{back}" if back else url)


@allow(DESK)
@require_POST
def line_exclude(request, pk, line_pk):
    round = round_get(user=request.user, pk=pk)
    line = selectors.line_get(user=request.user, round=round, pk=line_pk, include_withdrawn=True)
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the exclusion: the firm will see it."))
        return _screening_back(request, round)
    try:
        services.line_exclude(line=line, actor=request.user, reason=form.cleaned_data["reason"])
    except (StateConflict, ValidationError) as exc:
        messages.error(
            request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
        )
    else:
        messages.success(
            request, _("The line of %(firm)s was excluded.") % {"firm": line.organisation.name}
        )
    return _screening_back(request, round)


@allow(DESK)
@require_POST
def line_restore(request, pk, line_pk):
    round = round_get(user=request.user, pk=pk)
    line = selectors.line_get(user=request.user, round=round, pk=line_pk, include_withdrawn=True)
    try:
        services.line_restore(line=line, actor=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The line of %(firm)s counts again.") % {"firm": line.organisation.name}
        )
    return _screening_back(request, round)
