"""Pages of demand rounds: list and detail for every role, round management for the desk, and the
participation terms for members."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import DESK, MEMBERS, ROUND_READERS, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors

from .. import policy
from ..forms import ReopenForm, RoundForm
from ..lines.figures import round_summary, summary_totals
from ..lines.selectors import lines_visible_to, material_totals
from ..models import RoundState
from . import selectors, services


@allow(ROUND_READERS)
@require_GET
def round_list(request):
    rounds = policy.rounds_visible_to(request.user).prefetch_related("materials")
    open_rounds = [r for r in rounds if r.state == RoundState.OPEN]
    other_rounds = [r for r in rounds if r.state != RoundState.OPEN]
    return render(
        request,
        "industry/round_list.html",
        {"open_rounds": open_rounds, "other_rounds": other_rounds},
    )


def _round_form_values(form) -> dict:
    data = form.cleaned_data
    return {
        k: data[k]
        for k in (
            "title",
            "description",
            "materials",
            "first_period",
            "last_period",
            "opens_at",
            "closes_at",
            "min_quantity_t",
            "terms",
        )
    }


@allow(DESK)
@require_http_methods(["GET", "POST"])
def round_create(request):
    from ..models import DEFAULT_TERMS

    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    next_year = now.year + 1
    initial = {
        "opens_at": now,
        "closes_at": now + datetime.timedelta(days=21),
        "terms": str(DEFAULT_TERMS),
        "first_period": f"{next_year}-Q1",
        "last_period": f"{next_year + 4}-Q4",
        "min_quantity_t": "0",
    }
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            round = services.round_create(actor=request.user, **_round_form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The draft round was created. Open it when it is ready."))
            return redirect("industry:round_detail", pk=round.pk)
    return render(request, "industry/round_form.html", {"form": form, "round": None})


@allow(DESK)
@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    round = selectors.round_get(user=request.user, pk=pk)
    if round.state != RoundState.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("industry:round_detail", pk=round.pk)
    form = RoundForm(request.POST or None, initial=RoundForm.initial_for(round))
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(round=round, actor=request.user, **_round_form_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("industry:round_detail", pk=round.pk)
        else:
            messages.success(request, _("The round was saved."))
            return redirect("industry:round_detail", pk=round.pk)
    return render(request, "industry/round_form.html", {"form": form, "round": round})


@allow(ROUND_READERS)
@require_GET
def round_detail(request, pk):
    round = selectors.round_get(user=request.user, pk=pk)
    closed_at = selectors.round_closed_at(round)
    context = {
        "round": round,
        "materials": round.materials.all(),
        "reopen_form": None,
        # Closed before its deadline: the page tells when it really closed.
        "closed_early_at": closed_at if closed_at and closed_at < round.closes_at else None,
    }
    user = request.user
    if policy.may_enter_demand(user):
        lines = lines_visible_to(user, round=round)
        context.update(
            acceptance=selectors.terms_accepted(user=user, round=round),
            totals=material_totals(lines),
            own_line_count=lines.count(),
        )
    if policy.may_screen_lines(user):
        # Every line of the round: figures stored per version of the lines (a million lines are
        # not summed on every view; docs/screening.md).
        summary = round_summary(round)
        context.update(
            totals=summary_totals(summary),
            line_count=summary.lines,
            firm_count=summary.firms,
        )
        if round.state == RoundState.CLOSED:
            context["reopen_form"] = ReopenForm(
                initial={
                    "closes_at": max(round.closes_at, timezone.now()) + datetime.timedelta(days=7)
                }
            )
    return render(request, "industry/round_detail.html", context)


def _transition_view(request, pk, action):
    round = selectors.round_get(user=request.user, pk=pk)
    try:
        action(round)
    except StateConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("industry:round_detail", pk=round.pk)


@allow(DESK)
@require_POST
def round_open(request, pk):
    def act(round):
        services.round_open(round=round, actor=request.user)
        messages.success(request, _("The round is open. Member firms are told by e-mail."))

    return _transition_view(request, pk, act)


@allow(DESK)
@require_POST
def round_close(request, pk):
    def act(round):
        services.round_close(round=round, actor=request.user)
        messages.success(request, _("The round is closed. The positions are being computed."))

    return _transition_view(request, pk, act)


@allow(DESK)
@require_POST
def round_reopen(request, pk):
    form = ReopenForm(request.POST)

    def act(round):
        if not form.is_valid():
            raise ValidationError(_("Give a new closing time (Berlin time)."))
        services.round_reopen(
            round=round, actor=request.user, closes_at=form.cleaned_data["closes_at"]
        )
        messages.success(request, _("The round is open again until the new closing time."))

    return _transition_view(request, pk, act)


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def round_terms(request, pk):
    round = selectors.round_get(user=request.user, pk=pk)
    if request.method == "POST":
        if request.POST.get("accept") != "yes":
            messages.error(request, _("Tick the box to accept the terms."))
        else:
            try:
                services.terms_accept(round=round, actor=request.user)
            except StateConflict as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("Your firm accepted the terms. You can enter demand now.")
                )
                return redirect("industry:demand_grid", pk=round.pk)
    acceptance = selectors.terms_accepted(user=request.user, round=round)
    return render(request, "industry/terms.html", {"round": round, "acceptance": acceptance})
