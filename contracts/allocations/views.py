"""Pages of allocation of a contract's volume to the member firms. Thin: parse, call a selector or
service, render."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import CONTRACT_READERS, DESK, MEMBERS, allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.exports import safe_cell
from rohstoff.core.formatting import format_tonnes
from rohstoff.core.forms import add_service_errors

from .. import policy
from ..offtakes import selectors as offtake_selectors
from . import selectors, services
from .forms import AnswerForm, OverrideForm, ReleaseForm, ReopenForm

ALLOCATIONS_PAGE_SIZE = 50


@allow(CONTRACT_READERS)
@require_GET
def allocation(request, pk):
    contract = offtake_selectors.contract_get(user=request.user, pk=pk)
    return _allocation_page(request, contract)


def _allocation_page(request, contract, *, release_form=None, share_form=None, share=None):
    """The allocation page of a contract: the quarters' totals, and for the desk one quarter's
    shares a page at a time (``?quarter=2027-Q1&firm=…&page=…``; a national round has 5,000
    firms in each quarter). After a form sent with errors, that form, bound, on the page of its
    share, with its messages next to its fields and in the error summary (docs/forms.md)."""
    rounds = policy.allocation_rounds_visible_to(request.user).filter(contract=contract)
    current = rounds.order_by("-created_at").first()
    summary = selectors.allocation_summary(current) if current is not None else []
    for row in summary:
        row["key"] = str(row["period"])
    shares = None
    if summary and policy.reads_firm_shares(request.user):
        shares = _shares(request, current, summary, share)
    return render(
        request,
        "contracts/allocation.html",
        {
            "contract": contract,
            "allocation_round": current,
            "quarters": summary,
            # The foot sums quarters: a one-quarter table has nothing to sum.
            "totals": selectors.allocation_totals(current, summary) if len(summary) > 1 else None,
            "shares": shares,
            "release_form": release_form or ReleaseForm(),
            "override_form": OverrideForm(),
            "reopen_form": ReopenForm(),
            "share_form": share_form,
            "share_form_for": share.pk if share is not None else None,
            "can_allocate": contract.state in ("signed", "active"),
        },
    )


def _shares(request, allocation_round, summary, share) -> dict:
    """The quarter of shares the desk looks at: the one asked for (the first one when the
    question names none the schedule has), or the quarter and page of ``share`` after a form
    sent with errors."""
    by_key = {row["key"]: row for row in summary}
    if share is not None:
        quarter = next((row for row in summary if row["quarter"] == share.quarter), summary[0])
        firm, number = "", selectors.share_page_number(share)
    else:
        quarter = by_key.get(request.GET.get("quarter", "").strip(), summary[0])
        firm = request.GET.get("firm", "").strip()[: selectors.FIRM_SEARCH_MAX_LENGTH]
        number = request.GET.get("page")
    page = Paginator(
        selectors.quarter_shares(
            user=request.user,
            allocation_round=allocation_round,
            quarter=quarter["quarter"],
            firm=firm,
        ),
        selectors.SHARES_PAGE_SIZE,
    ).get_page(number)
    return {"quarter": quarter, "firm": firm, "page": page}


def _share_url(allocation) -> str:
    """The desk's allocation page at the quarter and page of ``allocation``, scrolled to it."""
    query = urlencode(
        {"quarter": str(allocation.period), "page": selectors.share_page_number(allocation)}
    )
    return (
        reverse("contracts:allocation", args=[allocation.contract_id])
        + f"?{query}#share-{allocation.pk}"
    )


@allow(DESK)
@require_POST
def allocation_preview(request, pk):
    contract = offtake_selectors.contract_get(user=request.user, pk=pk)
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


def _change_share(request, pk, form_class, prefix, service, success) -> HttpResponse:
    """The desk changes one firm's share (override or reopen): the form, the service, a message
    saying what happened, back to the quarter on the allocation page. A value the form or the
    service refuses shows the page again with the form open and the message at its field;
    a state that forbids the change comes as a message."""
    allocation = selectors.allocation_get(user=request.user, pk=pk)
    # Field ids as the page writes them for this share (contracts/allocation.html).
    form = form_class(request.POST, auto_id=f"{prefix}-{allocation.pk}-%s")
    if form.is_valid():
        try:
            service(allocation=allocation, actor=request.user, **form.cleaned_data)
        except StateConflict as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success(allocation, form.cleaned_data))
    if form.errors:
        return _allocation_page(request, allocation.contract, share_form=form, share=allocation)
    return redirect(_share_url(allocation))


@allow(DESK)
@require_POST
def allocation_override(request, pk):
    return _change_share(
        request,
        pk,
        OverrideForm,
        "ov",
        services.allocation_override,
        lambda allocation, data: (
            _("Share of %(firm)s in %(period)s set to %(t)s.")
            % {
                "firm": allocation.organisation.name,
                "period": allocation.period,
                "t": format_tonnes(data["quantity_t"]),
            }
        ),
    )


@allow(DESK)
@require_POST
def allocation_reopen(request, pk):
    return _change_share(
        request,
        pk,
        ReopenForm,
        "ro",
        services.allocation_reopen,
        lambda allocation, data: (
            _("The share of %(firm)s in %(period)s is open again; the firm answers again.")
            % {"firm": allocation.organisation.name, "period": allocation.period}
        ),
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
        except StateConflict as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Released: the member firms have been told and answer by the deadline.")
            )
    if form.errors:
        return _allocation_page(request, allocation_round.contract, release_form=form)
    return redirect("contracts:allocation", pk=allocation_round.contract_id)


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
        request,
        "contracts/my_allocations.html",
        {
            "page": page,
            "rows": rows,
            "pending": pending,
            "open_rounds": selectors.open_rounds(user=request.user),
        },
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
            "explanation": selectors.explanation_for(request.user, allocation),
            "can_answer": selectors.answerable(allocation),
            "open_rounds": selectors.open_rounds(user=request.user),
        },
    )


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
                _("You confirmed %(t)s in %(period)s.")
                % {"t": format_tonnes(allocation.quantity_t), "period": allocation.period},
            )
        else:
            messages.success(request, _("You declined the share; it goes to the other firms."))
    return redirect("contracts:my_allocation", pk=pk)


@allow(MEMBERS)
@require_http_methods(["GET", "POST"])
def my_allocation_answer(request, pk):
    """One page for all of a firm's shares of one contract (one allocation round): a choice per
    open quarter, or every open quarter confirmed at once; afterwards, the next contract with
    shares to answer (docs/allocation.md, "Answering a whole contract at once")."""
    shares = selectors.member_round_shares(user=request.user, pk=pk)
    now = timezone.now()
    open_shares = [a for a in shares if selectors.answerable(a, now=now)]
    confirm_all = request.POST.get("action") == "confirm_all"
    bound = request.method == "POST" and not confirm_all
    form = AnswerForm(request.POST if bound else None, shares=open_shares)
    if request.method == "POST" and (confirm_all or form.is_valid()):
        answers = dict.fromkeys(open_shares, True) if confirm_all else form.answers()
        if not answers:
            messages.info(request, _("Nothing left to answer on this contract."))
            return redirect("contracts:my_allocation_answer", pk=pk)
        try:
            services.allocations_respond(answers=answers, actor=request.user)
        except services.AnswerError as exc:
            if confirm_all:
                messages.error(request, exc.message)
                return redirect("contracts:my_allocation_answer", pk=pk)
            form.add_error(f"answer_{exc.allocation.pk}", exc.message)
        else:
            confirmed = [a for a, accept in answers.items() if accept]
            declined = [a for a, accept in answers.items() if not accept]
            messages.success(request, _answered_message(confirmed, declined))
            return redirect("contracts:my_allocation_answer", pk=pk)
    contract = shares[0].contract
    total_open = sum((a.quantity_t for a in open_shares), Decimal(0))
    return render(
        request,
        "contracts/my_allocation_answer.html",
        {
            "contract": contract,
            "allocation_round": shares[0].allocation_round,
            "rows": [
                {
                    "allocation": a,
                    "field": form[f"answer_{a.pk}"] if f"answer_{a.pk}" in form.fields else None,
                }
                for a in shares
            ],
            "form": form,
            "open_count": len(open_shares),
            "open_t": total_open,
            "next_round": next(
                (
                    r
                    for r in selectors.open_rounds(user=request.user)
                    if r["allocation_round"] != pk
                ),
                None,
            ),
        },
    )


def _answered_message(confirmed, declined) -> str:
    parts = []
    if confirmed:
        parts.append(
            ngettext(
                "You confirmed %(n)s share (%(t)s).",
                "You confirmed %(n)s shares (%(t)s).",
                len(confirmed),
            )
            % {
                "n": len(confirmed),
                "t": format_tonnes(sum((a.quantity_t for a in confirmed), Decimal(0))),
            }
        )
    if declined:
        parts.append(
            ngettext(
                "You declined %(n)s share; it goes to the other firms.",
                "You declined %(n)s shares; they go to the other firms.",
                len(declined),
            )
            % {"n": len(declined)}
        )
    return " ".join(parts)


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
    if fmt not in ("csv", "xlsx"):
        raise Http404
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([key for key, _label in EXPORT_COLUMNS])
        for row in _export_rows(request.user):
            writer.writerow(
                ["" if row[k] is None else str(safe_cell(row[k])) for k, _label in EXPORT_COLUMNS]
            )
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
        sheet.append([safe_cell(row[k]) for k, _label in EXPORT_COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="allocations-{stamp}.xlsx"'
    return response
