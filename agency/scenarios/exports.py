"""CSV of a scenario's result, as the reader sees it on the page: hidden cells stay empty, and
only the agency's export carries the stockpile's tonnes and days (docs/scenarios.md)."""

import csv

from django.http import HttpResponse
from django.utils.translation import gettext as _


def result_csv(result) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="export-stop-scenario.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    header = [
        "material",
        "period",
        "disclosed",
        "demand_t",
        "contracted_t",
        "lost_t",
        "uncovered_t",
        "target_days",
        "bridge_band",
        "below_target",
    ]
    if result.stockpile_detail:
        header += ["holding_t", "days_bridged"]
    writer.writerow(header)

    def text(value):
        return "" if value is None else str(value)

    for m in result.materials:
        for c in m.cells:
            row = [
                m.material.code,
                c.period,
                "yes" if c.visible else "no",
                text(c.demand_t),
                text(c.contracted_t),
                text(c.lost_t),
                text(c.uncovered_t),
                m.target_days,
                text(m.bridge_band) or _("not known"),
                text(m.below_target),
            ]
            if result.stockpile_detail:
                row += [text(m.holding_t), text(m.days_bridged)]
            writer.writerow(row)
    return response
