"""The monitoring page of an approved stake: its quarterly reports and the form to write one.
Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rohstoff.core.access import allow
from rohstoff.core.errors import StateConflict
from rohstoff.core.forms import add_service_errors
from rohstoff.core.periods import PeriodError, Quarter

from ..policy import MONITORING_USERS
from . import rules, selectors, services
from .forms import MonitoringReportForm


@allow(MONITORING_USERS)
@require_http_methods(["GET", "POST"])
def stake_monitoring(request, pk):
    stake = selectors.stake_get(user=request.user, pk=pk)
    reports = list(selectors.reports_of(user=request.user, stake=stake))
    if request.method == "POST":
        form = MonitoringReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_save(actor=request.user, stake=stake, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except StateConflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Monitoring report for %(quarter)s saved.") % {"quarter": data["quarter"]},
                )
                return redirect("agency:stake_monitoring", stake.pk)
    else:
        form = MonitoringReportForm(initial=_initial(request, reports))
    return render(
        request,
        "agency/stake_monitoring.html",
        {
            "stake": stake,
            "reports": reports,
            "form": form,
            "overdue": selectors.overdue_of(user=request.user, stake=stake),
            "first_quarter": rules.first_quarter(stake),
        },
    )


def _initial(request, reports) -> dict:
    """``?quarter=2027-Q1`` opens that quarter's report for a change; else the newest quarter
    without a report."""
    try:
        wanted = Quarter.parse(request.GET.get("quarter", "")[:8])
    except PeriodError:
        wanted = None
    for report in reports:
        if wanted is not None and report.quarter == wanted.index:
            return {
                "quarter": report.period,
                "production_t": report.production_t,
                "milestones": report.milestones,
                "covenant_status": report.covenant_status,
                "rating": report.rating,
                "rating_reason": report.rating_reason,
            }
    return {"quarter": wanted} if wanted else {}
