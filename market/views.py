"""Pages of the market: calls for offers, offers, the matching review and the call dashboard.
Thin: parse, call a selector or service, render. Who sees which figure: docs/suppliers.md."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import AGENCY, DESK, MINISTRY, SUPPLIERS, allow
from rohstoff.core.documents import document_response
from rohstoff.core.errors import StateConflict
from rohstoff.core.exports import write_table
from rohstoff.core.forms import add_service_errors

from . import charts, offerfile, policy, runs, selectors, services
from .forms import AdjustForm, CallForm, OfferDocumentForm, OfferFileForm, OfferForm
from .models import OfferDocument, OfferState

CALL_READERS = DESK | AGENCY | MINISTRY | SUPPLIERS
OFFER_READERS = DESK | AGENCY | SUPPLIERS
REVIEWERS = DESK | AGENCY
DASHBOARD_READERS = DESK | AGENCY | MINISTRY
EXPORT_FORMATS = ("csv", "xlsx")


def _conflict(request, exc):
    messages.error(
        request, exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
    )


@allow(CALL_READERS)
@require_GET
def call_list(request):
    return render(
        request, "market/call_list.html", {"calls": selectors.calls_for(user=request.user)}
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def call_create(request):
    form = CallForm(request.POST or None, rounds=selectors.rounds_with_published_positions())
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_open(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            form.add_error("round", exc.message)
        else:
            messages.success(
                request,
                _("Call “%(title)s” is open; the suppliers were told.") % {"title": call.title},
            )
            return redirect("market:call", pk=call.pk)
    return render(request, "market/call_form.html", {"form": form})


@allow(CALL_READERS)
@require_GET
def call_detail(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    context = {
        "call": call,
        "sheet": selectors.call_sheet(user=request.user, call=call),
        "accepts_offers": call.accepts_offers(),
        "trustee": policy.reads_all_offers(request.user),
    }
    if policy.is_supplier(request.user):
        context["own_offers"] = selectors.offers_for(user=request.user, call=call)
        context["problem"] = services.buyer_or_seller_problem(
            organisation=request.user.organisation, round=call.round
        )
    return render(request, "market/call_detail.html", context)


@allow(CALL_READERS)
@require_GET
def call_sheet_export(request, pk, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    call = selectors.call_get(user=request.user, pk=pk)
    columns = [
        ("material", _("Material")),
        ("quarter", _("Quarter")),
        ("demand_t", _("Demand (t)")),
    ]
    rows = [
        {
            "material": c.material.name,
            "quarter": c.period,
            "demand_t": c.demand_t if c.visible else _("not disclosed"),
        }
        for c in selectors.call_sheet(user=request.user, call=call)
    ]
    data, content_type = write_table(columns, rows, fmt, sheet=_("Call"), title=call.title)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="call-{call.pk}.{fmt}"'
    return response


@allow(OFFER_READERS)
@require_GET
def offer_list(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    return render(
        request,
        "market/offer_list.html",
        {
            "call": call,
            "offers": selectors.offers_for(user=request.user, call=call),
            "accepts_offers": call.accepts_offers(),
        },
    )


def _offer_form(request, call, offer=None):
    quarters = {q.quarter: q.volume_t for q in offer.quarters.all()} if offer else None
    form = OfferForm(request.POST or None, call=call, instance=offer, quarters=quarters)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_save(
                actor=request.user,
                call=call,
                offer=offer,
                quarters=form.quarters(),
                **form.offer_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("market:call", pk=call.pk)
        else:
            messages.success(request, _("Offer #%(id)s saved.") % {"id": offer.pk})
            return redirect("market:offer", pk=offer.pk)
    return render(request, "market/offer_form.html", {"form": form, "call": call, "offer": offer})


@allow(SUPPLIERS)
@require_http_methods(["GET", "POST"])
def offer_create(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    return _offer_form(request, call)


@allow(SUPPLIERS)
@require_http_methods(["GET", "POST"])
def offer_edit(request, pk):
    offer = selectors.offer_get(user=request.user, pk=pk)
    return _offer_form(request, offer.call, offer)


@allow(SUPPLIERS)
@require_http_methods(["GET", "POST"])
def offer_upload(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    form = OfferFileForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = offerfile.offer_file_import(
                actor=request.user, call=call, data=form.cleaned_data["file"].read()
            )
        except ValidationError as exc:
            errors = exc.messages
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("market:call", pk=call.pk)
        else:
            messages.success(request, _("%(n)s offers saved from the file.") % {"n": len(saved)})
            return redirect("market:offers", pk=call.pk)
    return render(
        request, "market/offer_upload.html", {"form": form, "call": call, "errors": errors}
    )


@allow(OFFER_READERS)
@require_GET
def offer_detail(request, pk):
    offer = selectors.offer_get(user=request.user, pk=pk)
    mine = policy.is_supplier(request.user)
    return render(
        request,
        "market/offer_detail.html",
        {
            "offer": offer,
            "call": offer.call,
            "may_change": mine and offer.call.accepts_offers() and offer.state == OfferState.ACTIVE,
            "document_form": OfferDocumentForm(),
        },
    )


@allow(SUPPLIERS)
@require_POST
def offer_withdraw(request, pk):
    offer = selectors.offer_get(user=request.user, pk=pk)
    try:
        services.offer_withdraw(actor=request.user, offer=offer)
    except (StateConflict, ValidationError) as exc:
        _conflict(request, exc)
    else:
        messages.success(request, _("Offer #%(id)s withdrawn.") % {"id": offer.pk})
    return redirect("market:offer", pk=offer.pk)


@allow(SUPPLIERS)
@require_POST
def offer_document_upload(request, pk):
    offer = selectors.offer_get(user=request.user, pk=pk)
    form = OfferDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return redirect("market:offer", pk=offer.pk)
    try:
        services.offer_document_add(
            actor=request.user, offer=offer, upload=form.cleaned_data["file"]
        )
    except (StateConflict, ValidationError) as exc:
        _conflict(request, exc)
    else:
        messages.success(request, _("Document attached."))
    return redirect("market:offer", pk=offer.pk)


@allow(OFFER_READERS)
@require_GET
def offer_document(request, pk):
    offers = policy.offers_visible_to(request.user)
    document = OfferDocument.objects.filter(offer__in=offers, pk=pk).first()
    if document is None:
        raise Http404
    return document_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )


@allow(REVIEWERS)
@require_GET
def review(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    data = selectors.review(user=request.user, call=call)
    return render(
        request,
        "market/review.html",
        {
            "call": call,
            **data,
            "may_run": policy.runs_market(request.user)
            and data["run"] is None
            and call.deadline_passed(),
            "may_adjust": policy.runs_market(request.user),
        },
    )


@allow(DESK)
@require_POST
def match_start(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    try:
        runs.match_run(call_id=call.pk)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The call is matched."))
    return redirect("market:review", pk=call.pk)


@allow(DESK)
@require_POST
def allocation_adjust(request, pk):
    allocation = selectors.allocation_get(user=request.user, pk=pk)
    form = AdjustForm(request.POST)
    call_pk = allocation.run.call_id
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("market:review", pk=call_pk)
    try:
        runs.allocation_adjust(actor=request.user, allocation=allocation, **form.cleaned_data)
    except (StateConflict, ValidationError) as exc:
        _conflict(request, exc)
    else:
        messages.success(request, _("Match changed; the reason is in the audit log."))
    return redirect("market:review", pk=call_pk)


@allow(DESK)
@require_POST
def result_contract(request, pk):
    result = selectors.result_get(user=request.user, pk=pk)
    try:
        contract = runs.contract_draft_from_match(actor=request.user, result=result)
    except (StateConflict, ValidationError) as exc:
        _conflict(request, exc)
        return redirect("market:review", pk=result.run.call_id)
    messages.success(
        request, _("Draft contract %(ref)s made from the match.") % {"ref": contract.reference}
    )
    return redirect("contracts:detail", pk=contract.pk)


@allow(SUPPLIERS)
@require_GET
def my_result(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    return render(
        request,
        "market/my_result.html",
        {"call": call, **selectors.review(user=request.user, call=call)},
    )


@allow(DASHBOARD_READERS)
@require_GET
def dashboard(request, pk):
    call = selectors.call_get(user=request.user, pk=pk)
    trustee = policy.reads_all_offers(request.user)
    cells = selectors.dashboard_cells(call=call, trustee=trustee)
    shown = [c for c in cells if c.visible]
    mix = selectors.country_mix(shown) if trustee else []
    priced = [c for c in shown if c.price_min is not None] if trustee else []
    return render(
        request,
        "market/dashboard.html",
        {
            "call": call,
            "cells": cells,
            "shown": shown,
            "priced": priced,
            "trustee": trustee,
            "mix": mix,
            "hidden_count": len(cells) - len(shown),
            "volume_chart": charts.volumes(shown),
            "volume_chart_id": f"volume-chart-{call.pk}",
            "price_chart": charts.prices(shown) if trustee else None,
            "country_chart": charts.countries(mix) if trustee else None,
        },
    )


@allow(DASHBOARD_READERS)
@require_GET
def dashboard_export(request, pk, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    call = selectors.call_get(user=request.user, pk=pk)
    trustee = policy.reads_all_offers(request.user)
    columns = [
        ("material", _("Material")),
        ("quarter", _("Quarter")),
        ("demand_t", _("Demand (t)")),
        ("offered_t", _("Offered (t)")),
        ("matched_t", _("Matched (t)")),
    ]
    if trustee:
        columns += [
            ("price_min", _("Lowest landed price (EUR/t)")),
            ("price_median", _("Median landed price (EUR/t)")),
            ("price_max", _("Highest landed price (EUR/t)")),
        ]
    rows = []
    for c in selectors.dashboard_cells(call=call, trustee=trustee):
        row = {"material": c.material.name, "quarter": c.period}
        if c.visible:
            row.update(
                demand_t=c.demand_t,
                offered_t=c.offered_t,
                matched_t=c.matched_t,
                price_min=c.price_min,
                price_median=c.price_median,
                price_max=c.price_max,
            )
        else:
            row["demand_t"] = _("not disclosed")
        rows.append(row)
    data, content_type = write_table(columns, rows, fmt, sheet=_("Call"), title=call.title)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="call-{call.pk}-dashboard.{fmt}"'
    return response
