"""Pages of price indices, FX rates and contract prices. Thin: parse, call a selector or service,
render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import CONTRACT_READERS, DESK, allow
from rohstoff.core.formatting import format_date
from rohstoff.core.forms import add_service_errors

from .. import policy
from ..models import (
    Currency,
    IndexValue,
)
from . import selectors, services
from .forms import FxRateForm, IndexForm, IndexValueForm


@allow(CONTRACT_READERS)
@require_GET
def prices(request):
    fx = policy.fx_rates_visible_to(request.user).order_by("-date", "currency")[:30]
    return render(
        request,
        "contracts/prices.html",
        {
            "indices": policy.indices_visible_to(request.user).order_by("code"),
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
                _("Value of %(date)s saved.") % {"date": format_date(form.cleaned_data["date"])},
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
