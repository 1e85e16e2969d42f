"""CSV export of the stockpile bands: material, high-risk, target and band, nothing else (no
tonne, no day count: the ministry reads it, docs/stockpile.md)."""

import csv

from django.http import HttpResponse
from django.utils.translation import gettext as _


def bands_csv(rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="stockpile-bands.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["material", _("Material"), "high_risk", "target_days", "band", _("Band")])
    for row in rows:
        writer.writerow(
            [
                row.material.code,
                row.material.name,
                "yes" if row.high_risk else "no",
                row.target_days,
                row.band,
                row.get_band_display(),
            ]
        )
    return response
