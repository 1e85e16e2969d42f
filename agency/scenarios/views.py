"""Pages of the export-stop scenario: choose countries, a first quarter and a round, see the
result without a page reload (htmx swaps the result panel; without JavaScript the same form
loads the whole page), save it, open and compare saved ones (docs/scenarios.md)."""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rohstoff.core.access import AGENCY, DESK, MINISTRY, allow
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.forms import add_service_errors

from . import charts, exports, selectors, services
from .forms import CompareForm, SaveForm, ScenarioForm

SCENARIO_USERS = AGENCY | DESK | MINISTRY


def _run_form(form, user):
    """The result for a valid form (errors added to the form otherwise), or None."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        round = selectors.round_for_scenario(user=user, pk=data["round"])
        return selectors.scenario_run(
            user=user, round=round, countries=data["countries"], first=data["first_quarter"]
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


def _result_context(result) -> dict:
    # The figure travels in a data attribute: htmx inserts no <script> element, not even JSON.
    figure = charts.uncovered_heatmap(result) if result else None
    return {"result": result, "figure_json": json.dumps(figure) if figure else ""}


@allow(SCENARIO_USERS)
@require_GET
def run(request):
    rounds = selectors.scenario_rounds(user=request.user)
    bound = "countries" in request.GET
    form = ScenarioForm(
        request.GET if bound else None,
        rounds=rounds,
        initial={"round": rounds[0].pk if rounds else None, "first_quarter": _first(rounds)},
    )
    result = _run_form(form, request.user) if bound else None
    context = {"form": form, "bound": bound, **_result_context(result)}
    if request.htmx:
        return render(request, "agency/scenarios/_result.html", context)
    saved = list(selectors.saved_visible_to(request.user)[:50])
    return render(
        request,
        "agency/scenarios/run.html",
        {
            **context,
            "rounds": rounds,
            "saved": saved,
            "compare_form": CompareForm(saved=saved),
        },
    )


def _first(rounds):
    return str(rounds[0].first_period) if rounds else None


@allow(SCENARIO_USERS)
@require_GET
def export(request):
    rounds = selectors.scenario_rounds(user=request.user)
    form = ScenarioForm(request.GET, rounds=rounds)
    result = _run_form(form, request.user)
    if result is None:
        return render(
            request,
            "agency/scenarios/run.html",
            {"form": form, "bound": True, "rounds": rounds, "result": None, "saved": []},
            status=400,
        )
    return exports.result_csv(result)


@allow(SCENARIO_USERS)
@require_POST
def save(request):
    rounds = selectors.scenario_rounds(user=request.user)
    form = SaveForm(request.POST, rounds=rounds)
    if form.is_valid():
        data = form.cleaned_data
        try:
            round = selectors.round_for_scenario(user=request.user, pk=data["round"])
            scenario = services.scenario_save(
                actor=request.user,
                name=data["name"],
                round=round,
                countries=data["countries"],
                first=data["first_quarter"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Scenario “%(name)s” saved.") % {"name": scenario.name})
            return redirect("scenarios:detail", pk=scenario.pk)
    # Show the scenario again with the save form's errors beside it.
    inputs = ScenarioForm(request.POST, rounds=rounds)
    result = _run_form(inputs, request.user)
    saved = list(selectors.saved_visible_to(request.user)[:50])
    return render(
        request,
        "agency/scenarios/run.html",
        {
            "form": inputs,
            "bound": True,
            "rounds": rounds,
            "saved": saved,
            "save_form": form,
            "compare_form": CompareForm(saved=saved),
            **_result_context(result),
        },
        status=400,
    )


@allow(SCENARIO_USERS)
@require_GET
def detail(request, pk):
    scenario = selectors.saved_get(user=request.user, pk=pk)
    try:
        result = selectors.saved_run(user=request.user, scenario=scenario)
    except Http404:
        result = None  # the round is no longer one the reader may see
    return render(
        request,
        "agency/scenarios/detail.html",
        {"scenario": scenario, **_result_context(result)},
    )


@allow(SCENARIO_USERS)
@require_POST
def delete(request, pk):
    scenario = selectors.saved_get(user=request.user, pk=pk)
    services.scenario_delete(actor=request.user, scenario=scenario)
    messages.success(request, _("Scenario deleted."))
    return redirect("scenarios:run")


@allow(SCENARIO_USERS)
@require_GET
def compare(request):
    saved = list(selectors.saved_visible_to(request.user)[:50])
    form = CompareForm(request.GET or None, saved=saved)
    pair = []
    if form.is_bound and form.is_valid():
        for key in ("a", "b"):
            scenario = selectors.saved_get(user=request.user, pk=form.cleaned_data[key])
            pair.append((scenario, selectors.saved_run(user=request.user, scenario=scenario)))
    rows = _compare_rows(pair) if pair else []
    return render(
        request,
        "agency/scenarios/compare.html",
        {"form": form, "pair": pair, "rows": rows},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _compare_rows(pair):
    """Per material, the two results side by side (a material missing from one is None)."""
    (_a, ra), (_b, rb) = pair
    a = {m.material.pk: m for m in ra.materials}
    b = {m.material.pk: m for m in rb.materials}
    materials = {m.material.pk: m.material for m in ra.materials + rb.materials}
    ordered = sorted(materials.values(), key=lambda m: (m.sort_order, m.code))
    return [(m, a.get(m.pk), b.get(m.pk)) for m in ordered]
