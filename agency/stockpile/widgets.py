"""Sections of the stockpile and scenarios for the ministry's dashboard (and the agency's home):
a context function and a template each, for ``rohstoff.dashboards.widgets.Widget``. The
dashboard registers them (domain apps do not import the dashboards)::

    Widget("agency/widgets/stockpile_bands.html", MINISTRY, stockpile_bands, order=30,
           styles=("agency/stockpile.css",))
    Widget("agency/widgets/saved_scenarios.html", AGENCY | DESK | MINISTRY, saved_scenarios, order=45)

Bands carry no tonne and no day count (docs/stockpile.md); saved scenarios are those of the
reader's organisation (docs/scenarios.md). Three queries and one, whatever the data size."""

from ..scenarios import selectors as scenario_selectors
from . import policy, selectors


def stockpile_bands(request) -> dict:
    if not policy.reads_bands(request.user):
        return {"stockpile_rows": []}
    source, rows = selectors.band_rows(user=request.user)
    return {"stockpile_source": source, "stockpile_rows": rows}


def saved_scenarios(request) -> dict:
    return {"saved_scenarios": list(scenario_selectors.saved_visible_to(request.user)[:10])}
