"""A member firm's pages of the contracts it concluded itself: list, report, change, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import MEMBERS, allow
from rohstoff.core.errors import StateConflict

from . import selectors, services
from .forms import ReportedContractForm


@allow(MEMBERS)
@require_GET
def reported_list(request):
    contracts = list(selectors.reported_contracts(user=request.user))
    return render(
        request,
        "industry/reported_list.html",
        {"contracts": contracts, "totals": selectors.totals_by_material(contracts)},
    )


def _form_page(request, form, contract=None):
    return render(request, "industry/reported_form.html", {"form": form, "contract": contract})


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def reported_create(request):
    if request.method == "GET":
        return _form_page(request, ReportedContractForm())
    form = ReportedContractForm(request.POST)
    if form.is_valid():
        try:
            services.reported_contract_create(actor=request.user, **form.service_values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Contract reported. It counts as covered by your firm."))
            return redirect("reported:list")
    return _form_page(request, form)


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def reported_edit(request, pk):
    contract = selectors.reported_contract_get(user=request.user, pk=pk)
    if request.method == "GET":
        form = ReportedContractForm(initial=ReportedContractForm.initial_for(contract))
        return _form_page(request, form, contract)
    form = ReportedContractForm(request.POST)
    if form.is_valid():
        try:
            services.reported_contract_update(
                contract=contract, actor=request.user, **form.service_values()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Reported contract saved."))
            return redirect("reported:list")
    return _form_page(request, form, contract)


@allow(MEMBERS)
@require_POST
def reported_delete(request, pk):
    contract = selectors.reported_contract_get(user=request.user, pk=pk)
    try:
        services.reported_contract_delete(contract=contract, actor=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reported contract deleted."))
    return redirect("reported:list")
