"""Pages of deliveries against a contract's schedule. Thin: parse, call a selector or service,
render."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rohstoff.core.access import CONTRACT_READERS, DESK, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors

from .. import pricing
from ..offtakes import selectors as offtake_selectors
from ..prices import selectors as price_selectors
from . import selectors, services
from .forms import DeliveryForm


@allow(DESK)
@require_http_methods(["GET", "POST"])
def delivery_create(request, pk):
    contract = offtake_selectors.contract_get(user=request.user, pk=pk)
    today = timezone.localdate()
    current = pricing.quarter_of(today).index
    quarters = list(contract.schedule.values_list("quarter", flat=True))
    default_q = min(quarters, key=lambda q: abs(q - current)) if quarters else None
    initial = {"delivered_on": today, "quarter": default_q, "provisional_pct": Decimal("90")}
    if default_q is not None:
        price = price_selectors.quarter_prices(contract, [default_q]).get(default_q)
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
