"""Pages of the trading desk's offtake book, and the member firms' allocations. Thin: parse,
call a selector or service, render."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from rohstoff.core.access import CONTRACT_READERS, DESK, MEMBERS, MINISTRY, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors
from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter

from . import pricing, selectors, services
from .forms import (
    ContractForm,
    CounterpartyForm,
    DeliveryForm,
    DocumentForm,
    FxRateForm,
    IndexForm,
    IndexValueForm,
    OverrideForm,
    ReleaseForm,
    ScheduleForm,
    TransitionForm,
)
from .models import (
    CONTRACT_TRANSITIONS,
    AllocationRound,
    ContractState,
    Currency,
    IndexValue,
)

BOOK_PAGE_SIZE = 50
ALLOCATIONS_PAGE_SIZE = 50


# ---- the book --------------------------------------------------------------------------------


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
        selectors.contracts_visible_to(request.user)
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
    prices = selectors.quarter_prices(contract, [r["quarter"] for r in rows])
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


@allow(DESK)
@require_http_methods(["GET", "POST"])
def delivery_create(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    today = timezone.localdate()
    current = pricing.quarter_of(today).index
    quarters = list(contract.schedule.values_list("quarter", flat=True))
    default_q = min(quarters, key=lambda q: abs(q - current)) if quarters else None
    initial = {"delivered_on": today, "quarter": default_q, "provisional_pct": Decimal("90")}
    if default_q is not None:
        price = selectors.quarter_prices(contract, [default_q]).get(default_q)
        if price is not None and not isinstance(price, Exception):
            initial["provisional_price"] = price.price
    form = DeliveryForm(request.POST or None, contract=contract, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_record(contract=contract, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("contracts:detail", pk=pk)
        else:
            messages.success(request, _("Delivery recorded."))
            return redirect("contracts:detail", pk=pk)
    return render(
        request,
        "contracts/delivery_form.html",
        {"contract": contract, "form": form, "delivery": None},
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def delivery_edit(request, pk):
    delivery = selectors.delivery_get(user=request.user, pk=pk)
    contract = delivery.contract
    initial = {name: getattr(delivery, name) for name in DeliveryForm.base_fields}
    form = DeliveryForm(request.POST or None, contract=contract, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_update(delivery=delivery, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Delivery saved."))
            return redirect("contracts:detail", pk=contract.pk)
    return render(
        request,
        "contracts/delivery_form.html",
        {
            "contract": contract,
            "form": form,
            "delivery": delivery,
            "amounts": pricing.delivery_amounts(delivery, contract.price_unit),
        },
    )


@allow(DESK)
@require_POST
def document_upload(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.document_upload(
                contract=contract,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Document %(name)s stored.") % {"name": document.original_name}
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("contracts:detail", args=[pk]) + "#documents")


@allow(CONTRACT_READERS)
@require_GET
def document_download(request, pk):
    document = selectors.document_get(user=request.user, pk=pk)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- allocation ------------------------------------------------------------------------------


@allow(CONTRACT_READERS)
@require_GET
def allocation(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    rounds = contract.allocation_rounds.all()
    if not request.user.is_desk:
        rounds = rounds.exclude(state=AllocationRound.State.DRAFT)
    current = rounds.order_by("-created_at").first()
    allocations, summary = [], []
    if current is not None:
        if request.user.is_desk:  # firms' shares are their forward demand: the trustee only
            allocations = list(
                current.allocations.select_related("organisation").order_by(
                    "quarter", "organisation__name"
                )
            )
        summary = selectors.allocation_summary(current)
    by_quarter = defaultdict(list)
    for a in allocations:
        by_quarter[a.quarter].append(a)
    quarters = [{"summary": s, "allocations": by_quarter[s["quarter"]]} for s in summary]
    return render(
        request,
        "contracts/allocation.html",
        {
            "contract": contract,
            "allocation_round": current,
            "quarters": quarters,
            "release_form": ReleaseForm(),
            "override_form": OverrideForm(),
            "can_allocate": contract.state in ("signed", "active"),
        },
    )


@allow(DESK)
@require_POST
def allocation_preview(request, pk):
    contract = selectors.contract_get(user=request.user, pk=pk)
    try:
        services.allocation_preview(contract=contract, actor=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Allocation computed. Check it, override a share if needed, then release it to the members."
            ),
        )
    return redirect("contracts:allocation", pk=pk)


@allow(DESK)
@require_POST
def allocation_override(request, pk):
    allocation = selectors.allocation_get(user=request.user, pk=pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.allocation_override(
                allocation=allocation, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, StateConflict) as exc:
            messages.error(
                request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
            )
        else:
            messages.success(
                request,
                _("Share of %(firm)s in %(period)s set to %(t)s t.")
                % {
                    "firm": allocation.organisation.name,
                    "period": allocation.period,
                    "t": form.cleaned_data["quantity_t"],
                },
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(
        reverse("contracts:allocation", args=[allocation.contract_id]) + f"#q{allocation.quarter}"
    )


@allow(DESK)
@require_POST
def allocation_release(request, pk):
    allocation_round = selectors.allocation_round_get(user=request.user, pk=pk)
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.allocation_release(
                allocation_round=allocation_round,
                actor=request.user,
                respond_by=form.cleaned_data["respond_by"],
            )
        except (ValidationError, StateConflict) as exc:
            messages.error(
                request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
            )
        else:
            messages.success(
                request, _("Released: the member firms have been told and answer by the deadline.")
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("contracts:allocation", pk=allocation_round.contract_id)


# ---- members ---------------------------------------------------------------------------------


@allow(MEMBERS)
@require_GET
def my_allocations(request):
    page = Paginator(
        selectors.member_allocations(user=request.user), ALLOCATIONS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    items = list(page.object_list)
    details = selectors.pass_through(items)
    rows = [{"allocation": a, **details.get(a.pk, {})} for a in items]
    pending = (
        selectors.member_allocations(user=request.user)
        .filter(state="proposed", allocation_round__state="released")
        .count()
    )
    return render(
        request, "contracts/my_allocations.html", {"page": page, "rows": rows, "pending": pending}
    )


@allow(MEMBERS)
@require_GET
def my_allocation_detail(request, pk):
    allocation = selectors.allocation_get(user=request.user, pk=pk)
    detail = selectors.pass_through([allocation]).get(allocation.pk, {})
    return render(
        request,
        "contracts/my_allocation_detail.html",
        {
            "allocation": allocation,
            **detail,
            "explanation": _numbers(selectors.explanation_for(request.user, allocation)),
            "can_answer": allocation.state == "proposed"
            and allocation.allocation_round.state == "released"
            and (
                allocation.allocation_round.respond_by is None
                or allocation.allocation_round.respond_by > timezone.now()
            ),
        },
    )


def _numbers(entry):
    """Decimal strings of an explanation as Decimals, so that templates format them per language."""
    if isinstance(entry, list):
        return [_numbers(e) for e in entry]
    if isinstance(entry, dict):
        return {k: _numbers(v) for k, v in entry.items()}
    if isinstance(entry, str):
        try:
            value = Decimal(entry)
        except ArithmeticError:
            return entry
        # 7.500000 -> 7.5 and 20.000000 -> 20 (never 2E+1).
        return (
            value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        )
    return entry


@allow(MEMBERS)
@require_POST
def my_allocation_respond(request, pk):
    allocation = selectors.allocation_get(user=request.user, pk=pk)
    accept = request.POST.get("answer") == "confirm"
    if request.POST.get("answer") not in ("confirm", "decline"):
        messages.error(request, _("Choose confirm or decline."))
        return redirect("contracts:my_allocation", pk=pk)
    try:
        services.allocation_respond(allocation=allocation, actor=request.user, accept=accept)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        if accept:
            messages.success(
                request,
                _("You confirmed %(t)s t in %(period)s.")
                % {"t": allocation.quantity_t, "period": allocation.period},
            )
        else:
            messages.success(request, _("You declined the share; it goes to the other firms."))
    return redirect("contracts:my_allocation", pk=pk)


EXPORT_COLUMNS = [
    ("contract", "Contract"),
    ("material", "Material"),
    ("period", "Quarter"),
    ("state", "State"),
    ("remaining_demand_t", "Remaining firm demand (t)"),
    ("computed_t", "Computed share (t)"),
    ("allocated_t", "Allocated (t)"),
    ("override_reason", "Override reason"),
    ("respond_by", "Answer by"),
    ("currency", "Currency"),
    ("price_unit", "Price unit"),
    ("contract_price", "Contract price"),
    ("back_to_back_price", "Back-to-back price"),
    ("back_to_back_amount", "Back-to-back amount"),
    ("delivered_t", "Delivered to you (t)"),
]


def _export_rows(user):
    allocations = list(selectors.member_allocations(user=user)[:20000])
    details = selectors.pass_through(allocations)
    for a in allocations:
        d = details.get(a.pk, {})
        price = d.get("price")
        yield {
            "contract": a.contract.reference,
            "material": a.contract.material.code,
            "period": str(a.period),
            "state": a.state,
            "remaining_demand_t": a.requested_t,
            "computed_t": a.computed_t,
            "allocated_t": a.quantity_t,
            "override_reason": a.override_reason,
            "respond_by": timezone.localtime(a.allocation_round.respond_by).strftime(
                "%Y-%m-%d %H:%M"
            )
            if a.allocation_round.respond_by
            else "",
            "currency": a.contract.currency,
            "price_unit": a.contract.price_unit,
            "contract_price": price.price if price else None,
            "back_to_back_price": d.get("b2b_price"),
            "back_to_back_amount": d.get("b2b_amount"),
            "delivered_t": d.get("delivered_t"),
        }


@allow(MEMBERS)
@require_GET
def my_allocations_export(request, fmt):
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([key for key, _label in EXPORT_COLUMNS])
        for row in _export_rows(request.user):
            writer.writerow(["" if row[k] is None else str(row[k]) for k, _label in EXPORT_COLUMNS])
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="allocations-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("allocations")
    sheet.append([key for key, _label in EXPORT_COLUMNS])
    for row in _export_rows(request.user):
        sheet.append([row[k] if row[k] is not None else None for k, _label in EXPORT_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="allocations-{stamp}.xlsx"'
    return response


# ---- due, late, short ------------------------------------------------------------------------


@allow(CONTRACT_READERS)
@require_GET
def due(request):
    today = timezone.localdate()
    rows = selectors.due_overview(user=request.user, today=today)
    return render(
        request,
        "contracts/due.html",
        {
            "rows": rows,
            "today": today,
            "late": [r for r in rows if r["status"] == "late"],
            "short": [r for r in rows if r["status"] == "short"],
            "due": [r for r in rows if r["status"] == "due"],
        },
    )


# ---- counterparties --------------------------------------------------------------------------


@allow(CONTRACT_READERS)
@require_GET
def counterparty_list(request):
    return render(
        request,
        "contracts/counterparty_list.html",
        {
            "counterparties": selectors.counterparties_visible_to(request.user).order_by("name"),
        },
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def counterparty_edit(request, pk=None):
    counterparty = selectors.counterparty_get(user=request.user, pk=pk) if pk else None
    form = CounterpartyForm(request.POST or None, instance=counterparty)
    if request.method == "POST" and form.is_valid():
        try:
            services.counterparty_save(
                actor=request.user, counterparty=counterparty, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Counterparty %(name)s saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("contracts:counterparties")
    return render(
        request, "contracts/counterparty_form.html", {"form": form, "counterparty": counterparty}
    )


# ---- prices ----------------------------------------------------------------------------------


@allow(CONTRACT_READERS)
@require_GET
def prices(request):
    fx = selectors.fx_rates_visible_to(request.user).order_by("-date", "currency")[:30]
    return render(
        request,
        "contracts/prices.html",
        {
            "indices": selectors.indices_visible_to(request.user).order_by("code"),
            "fx_rates": fx,
            "fx_form": FxRateForm(initial={"date": timezone.localdate()}),
            "latest_fx": sorted(selectors.latest_fx().items()),
            "currencies": Currency.choices,
        },
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def index_create(request):
    form = IndexForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            index = services.index_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Index %(name)s created. Enter its values as you receive them.")
                % {"name": index.name},
            )
            return redirect("contracts:index", pk=index.pk)
    return render(request, "contracts/index_form.html", {"form": form})


@allow(CONTRACT_READERS)
@require_GET
def index_detail(request, pk):
    index = selectors.index_get(user=request.user, pk=pk)
    values = (
        IndexValue.objects.filter(index=index).select_related("entered_by").order_by("-date")[:60]
    )
    return render(
        request,
        "contracts/index_detail.html",
        {
            "index": index,
            "values": values,
            "form": IndexValueForm(initial={"date": timezone.localdate()}),
            "contracts": index.contracts.select_related("counterparty").order_by("reference"),
        },
    )


@allow(DESK)
@require_POST
def index_value_add(request, pk):
    index = selectors.index_get(user=request.user, pk=pk)
    form = IndexValueForm(request.POST)
    if form.is_valid():
        try:
            services.index_value_set(actor=request.user, index=index, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Value of %(date)s saved.")
                % {"date": form.cleaned_data["date"].strftime("%d.%m.%Y")},
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("contracts:index", pk=pk)


@allow(DESK)
@require_POST
def fx_rate_add(request):
    form = FxRateForm(request.POST)
    if form.is_valid():
        try:
            services.fx_rate_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Rate saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("contracts:prices")


@allow(CONTRACT_READERS)
@require_GET
def mtm(request):
    data = selectors.mark_to_market(user=request.user)
    return render(request, "contracts/mtm.html", data)


# ---- dashboards ------------------------------------------------------------------------------


@allow(CONTRACT_READERS)
@require_GET
def dashboard(request):
    """Coverage per material and quarter (from the round's current positions) and the book of
    contracts (volume by counterparty and by country), each chart with its table."""
    from industry.models import DemandRound
    from tradinghouse.models import PositionCell

    rounds = list(
        DemandRound.objects.filter(position_sets__is_current=True).order_by("-opens_at").distinct()
    )
    selected = None
    wanted = request.GET.get("round", "")
    for r in rounds:
        if str(r.pk) == wanted:
            selected = r
    if selected is None and rounds:
        selected = rounds[0]
    cells = []
    if selected is not None:
        cells = list(
            PositionCell.objects.filter(position_set__round=selected, position_set__is_current=True)
            .select_related("material")
            .order_by("material__sort_order", "material__code", "quarter")
        )
    materials = {}
    for cell in cells:
        materials.setdefault(cell.material_id, cell.material)
    quarters = sorted({c.quarter for c in cells})
    by_cell = {(c.material_id, c.quarter): c for c in cells}
    coverage_chart = {
        "data": [
            {
                "type": "heatmap",
                "x": [str(Quarter.from_index(q)) for q in quarters],
                "y": [m.name for m in materials.values()],
                "z": [
                    [_coverage_value(by_cell.get((m.pk, q))) for q in quarters]
                    for m in materials.values()
                ],
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, "#a4262c"], [0.5, "#f5c26b"], [1, "#1d6b35"]],
                "colorbar": {"title": {"text": _("Coverage")}, "tickformat": ".0%"},
                "hovertemplate": "%{y} %{x}: %{z:.0%}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": 120 + 40 * max(len(materials), 3),
            "yaxis": {"automargin": True},
            "xaxis": {"automargin": True, "tickangle": -60},
        },
    }
    by_counterparty = selectors.book_by_counterparty(user=request.user)
    by_country = selectors.book_by_country(user=request.user)
    for row in by_country:
        row["country_name"] = (
            countries.name(row["contract__counterparty__country"])
            or row["contract__counterparty__country"]
        )
    book_chart = _stacked_bar(by_counterparty, "contract__counterparty__name", horizontal=True)
    country_chart = _stacked_bar(by_country, "country_name")
    return render(
        request,
        "contracts/dashboard.html",
        {
            "rounds": rounds,
            "selected": selected,
            "cells": cells,
            "coverage_chart": coverage_chart,
            "by_counterparty": by_counterparty,
            "by_country": by_country,
            "book_chart": book_chart,
            "country_chart": country_chart,
        },
    )


def _coverage_value(cell):
    # A chart coordinate, not a quantity: plotly needs a JSON number.
    return float(cell.coverage) if cell is not None and cell.coverage is not None else None


def _material_label(row) -> str:
    from django.utils.translation import get_language

    return (
        row["contract__material__name_de"]
        if (get_language() or "de").startswith("de")
        else row["contract__material__name_en"]
    )


def _stacked_bar(rows, key, *, horizontal: bool = False) -> dict:
    """One group of bars per counterparty (or country), one trace per material: no total across
    materials."""
    categories = sorted({str(r[key]) for r in rows})
    cat_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    traces = {}
    for r in rows:
        trace = traces.setdefault(
            r["contract__material__code"],
            {
                "type": "bar",
                "name": _material_label(r),
                "orientation": "h" if horizontal else "v",
                cat_axis: categories,
                value_axis: [0.0] * len(categories),
                "hovertemplate": "%{"
                + cat_axis
                + "}: %{"
                + value_axis
                + ":,.0f} t<extra>%{fullData.name}</extra>",
            },
        )
        trace[value_axis][categories.index(str(r[key]))] = float(r["tonnes"])
    title = {"title": {"text": _("tonnes scheduled")}, "automargin": True}
    return {
        "data": list(traces.values()),
        "layout": {
            "barmode": "group",
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "height": max(320, 120 + 60 * len(categories)) if horizontal else 360,
            f"{value_axis}axis": title,
            f"{cat_axis}axis": {"automargin": True},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


@allow(MINISTRY | CONTRACT_READERS)
@require_GET
def overview(request):
    """Aggregates of the offtake book for the ministry (and everyone who reads contracts):
    contracted tonnes per material and quarter, and per material and supplier country. No
    contract, counterparty, price or firm."""
    per_quarter = selectors.book_by_material_quarter(user=request.user)
    per_country = selectors.book_by_country(user=request.user)
    for row in per_country:
        row["country_name"] = (
            countries.name(row["contract__counterparty__country"])
            or row["contract__counterparty__country"]
        )
    years = defaultdict(lambda: defaultdict(Decimal))
    names = {}
    for row in per_quarter:
        code = row["contract__material__code"]
        names[code] = _material_label(row)
        years[code][Quarter.from_index(row["quarter"]).year] += row["tonnes"]
    all_years = sorted({y for v in years.values() for y in v})
    table = [
        {"code": code, "name": names[code], "values": [years[code].get(y) for y in all_years]}
        for code in years
    ]
    chart = {
        "data": [
            {
                "type": "bar",
                "name": names[code],
                "x": [str(y) for y in all_years],
                "y": [float(years[code].get(y, 0)) for y in all_years],
                "hovertemplate": "%{x}: %{y:,.0f} t<extra>%{fullData.name}</extra>",
            }
            for code in years
        ],
        "layout": {
            "barmode": "group",
            "margin": {"l": 60, "r": 20, "t": 10, "b": 60},
            "height": 360,
            "yaxis": {"title": {"text": _("tonnes contracted")}},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }
    return render(
        request,
        "contracts/overview.html",
        {
            "years": all_years,
            "table": table,
            "chart": chart,
            "per_country": per_country,
            "country_chart": _stacked_bar(per_country, "country_name"),
            "allocated": [
                {**row, "name": _material_label(row)}
                for row in selectors.confirmed_allocations_by_material(user=request.user)
            ],
        },
    )
