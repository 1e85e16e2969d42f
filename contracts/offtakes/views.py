"""Pages of offtake contracts and their delivery schedules. Thin: parse, call a selector or service,
render."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import CONTRACT_READERS, DESK, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors
from rohstoff.core.models import Material

from .. import policy, pricing
from ..documents.forms import DocumentForm
from ..models import (
    CONTRACT_TRANSITIONS,
    ContractState,
)
from ..prices import selectors as price_selectors
from . import selectors, services
from .forms import ContractForm, ScheduleForm, TransitionForm

BOOK_PAGE_SIZE = 50


@allow(CONTRACT_READERS)
@require_GET
def book(request):
    state = request.GET.get("state", "")
    material = request.GET.get("material", "")
    search = request.GET.get("q", "").strip()
    contracts = selectors.contract_book(
        user=request.user, state=state, material=material, search=search
    )
    page = Paginator(contracts, BOOK_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        policy.contracts_visible_to(request.user)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return render(
        request,
        "contracts/book.html",
        {
            "page": page,
            "state": state,
            "material": material,
            "search": search,
            "states": ContractState.choices,
            "materials": Material.objects.order_by("sort_order", "code"),
            "counts": [
                (value, label, counts.get(value, 0)) for value, label in ContractState.choices
            ],
        },
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def contract_create(request):
    form = ContractForm(
        request.POST or None,
        initial={
            "tolerance_pct": Decimal("5"),
            "lot_size_t": Decimal("0.001"),
            "fee_type": "percent",
            "fee_value": Decimal("0"),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Contract %(ref)s created. Next: its delivery schedule.")
                % {"ref": contract.reference},
            )
            return redirect("contracts:schedule", pk=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": None})


@allow(DESK)
@require_http_methods(["GET", "POST"])
def contract_edit(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    if contract.state not in services.EDITABLE_STATES:
        messages.error(
            request,
            _("The terms of a %(state)s contract cannot change.")
            % {"state": contract.get_state_display()},
        )
        return redirect("contracts:detail", pk=contract.pk)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(contract=contract, actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("contracts:detail", pk=contract.pk)
        else:
            messages.success(request, _("Contract %(ref)s saved.") % {"ref": contract.reference})
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


@allow(CONTRACT_READERS)
@require_GET
def contract_detail(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    rows = selectors.schedule_rows(contract)
    prices = price_selectors.quarter_prices(contract, [r["quarter"] for r in rows])
    for row in rows:
        price = prices.get(row["quarter"])
        row["price"] = price if not isinstance(price, Exception) else None
        row["b2b"] = (
            pricing.back_to_back(
                row["price"].price, fee_type=contract.fee_type, fee_value=contract.fee_value
            )
            if row["price"] is not None
            else None
        )
    deliveries = list(
        contract.deliveries.select_related("recorded_by").order_by("-delivered_on", "-pk")
    )
    for d in deliveries:
        d.amounts = pricing.delivery_amounts(d, contract.price_unit)
    allocation_round = contract.allocation_rounds.order_by("-created_at").first()
    transitions = [
        (s, ContractState(s).label) for s in CONTRACT_TRANSITIONS[ContractState(contract.state)]
    ]
    totals = {
        "scheduled_t": sum((r["scheduled_t"] for r in rows), Decimal(0)),
        "delivered_t": sum((r["delivered_t"] for r in rows), Decimal(0)),
    }
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "rows": rows,
            "deliveries": deliveries,
            "documents": contract.documents.all(),
            "transitions": transitions,
            "transition_form": TransitionForm(initial={"signed_on": timezone.localdate()}),
            "document_form": DocumentForm(),
            "allocation_round": allocation_round,
            "totals": totals,
            "editable": contract.state in services.EDITABLE_STATES,
        },
    )


@allow(DESK)
@require_POST
def contract_transition(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid state."))
        return redirect("contracts:detail", pk=pk)
    try:
        services.contract_transition(
            contract=contract,
            actor=request.user,
            to_state=form.cleaned_data["to_state"],
            signed_on=form.cleaned_data.get("signed_on"),
        )
    except (StateConflict, ValidationError) as exc:
        messages.error(
            request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
        )
    else:
        messages.success(
            request,
            _("Contract %(ref)s is now %(state)s.")
            % {
                "ref": contract.reference,
                "state": ContractState(form.cleaned_data["to_state"]).label,
            },
        )
    return redirect("contracts:detail", pk=pk)


@allow(DESK)
@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    entries = dict(contract.schedule.values_list("quarter", "quantity_t"))
    if request.method == "POST" and "generate" in request.POST:
        try:
            services.schedule_generate(contract=contract, actor=request.user)
        except (ValidationError, StateConflict) as exc:
            messages.error(
                request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
            )
        else:
            messages.success(
                request, _("Schedule generated from the annual volume: check and adjust it.")
            )
        return redirect("contracts:schedule", pk=pk)
    form = ScheduleForm(request.POST or None, contract=contract, entries=entries)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_set(contract=contract, actor=request.user, entries=form.entries())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Schedule of %(ref)s saved.") % {"ref": contract.reference})
            return redirect("contracts:detail", pk=pk)
    return render(
        request,
        "contracts/schedule_form.html",
        {"contract": contract, "form": form, "has_schedule": bool(entries)},
    )
