"""The portfolio page: the agency sees every approved stake and the totals by material, country,
instrument and stage; the ministry the totals by material, country and instrument. Thin: the
selector decides what the reader may see."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from rohstoff.core.access import allow

from ..monitoring import selectors as monitoring_selectors
from ..policy import PORTFOLIO_READERS
from . import charts, selectors

TITLES = {
    "material": (_("By material"), _("Material")),
    "country": (_("By country"), _("Country")),
    "instrument": (_("By instrument"), _("Instrument")),
    "stage": (_("By project stage"), _("Project stage")),
}


@allow(PORTFOLIO_READERS)
@require_GET
def portfolio(request):
    data = selectors.portfolio(user=request.user)
    sections = [
        {
            "key": dimension,
            "title": TITLES[dimension][0],
            "column": TITLES[dimension][1],
            "totals": totals,
            "chart": charts.totals_figure(totals),
            "chart_id": f"chart-{dimension}",
        }
        for dimension, totals in data.by.items()
    ]
    reports = monitoring_selectors.latest_reports(
        user=request.user, stakes=[line.stake for line in data.lines]
    )
    return render(
        request,
        "agency/portfolio.html",
        {
            "portfolio": data,
            "sections": sections,
            "lines": [(line, reports.get(line.stake.pk)) for line in data.lines],
        },
    )
