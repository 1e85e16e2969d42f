"""Rows of the supply tables, one list per table, shared by pages, exports, the API and the
briefing so that all of them show the same figures (docs/supply-security.md)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext_lazy as _

from rohstoff.core.models import Material, User

from . import selectors
from .concentration import SHARE_PLACES


def _p(value):
    """A share in percent as tables show and export it: two decimals."""
    return None if value is None else value.quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)


country_name = selectors.country_name


def concentration_rows(*, user: User, as_of: datetime.date, edition=None) -> list[dict]:
    """Per material: world concentration (latest year) beside the consortium's contracted
    supply of the window starting at ``as_of``. Three queries."""
    materials = list(Material.objects.all())
    world = selectors.world_concentrations(edition=edition, materials=materials)
    contracted = selectors.contracted_concentrations(user=user, as_of=as_of, materials=materials)
    rows = []
    for m in materials:
        w = world.get(m.pk)
        c = contracted.get(m.pk)
        wc = w.concentration if w else None
        top = wc.largest if wc else None
        cc = c.window if c else None
        ctop = cc.largest if cc else None
        third = cc.largest_third_country if cc else None
        rows.append(
            {
                "material": m,
                "code": m.code,
                "name": m.name,
                "strategic": m.crma == "strategic",
                "stage": w.series.get_stage_display() if w else "",
                "world_year": w.year if w and w.has_data else None,
                "world_unit": w.unit if w else "",
                "world_hhi": wc.hhi_shown if wc else None,
                "world_top": country_name(top.key, top.name) if top else "",
                "world_top_share": _p(top.percent) if top else None,
                "world_estimate": bool(w and w.estimate),
                "world_withheld": ", ".join(x.name for x in w.withheld) if w else "",
                "contracted_hhi": cc.hhi_shown if cc else None,
                "contracted_total_t": cc.total if cc else None,
                "contracted_top": country_name(ctop.key) if ctop else "",
                "contracted_top_share": _p(ctop.percent) if ctop else None,
                "third_country": country_name(third.key) if third else "",
                "third_country_share": _p(third.percent) if third else None,
                "flagged": bool(c and c.flagged),
            }
        )
    return rows


CONCENTRATION_COLUMNS = [
    ("code", _("Material code")),
    ("name", _("Material")),
    ("stage", _("Stage of the world series")),
    ("world_year", _("Year")),
    ("world_hhi", _("HHI world production")),
    ("world_top", _("Largest producing country")),
    ("world_top_share", _("Share of the largest producer (%)")),
    ("world_estimate", _("Includes USGS estimates")),
    ("world_withheld", _("Withheld (W), left out")),
    ("contracted_hhi", _("HHI contracted supply")),
    ("contracted_top", _("Largest origin of contracted supply")),
    ("contracted_top_share", _("Share of the largest origin (%)")),
    ("third_country", _("Largest third country")),
    ("third_country_share", _("Share of the largest third country (%)")),
    ("flagged", _("One third country over 65 %")),
]
TONNES_COLUMN = ("contracted_total_t", _("Contracted supply in the window (t)"))


def concentration_columns(user: User) -> list[tuple[str, str]]:
    from . import policy

    cols = list(CONCENTRATION_COLUMNS)
    if policy.reads_contracted_tonnes(user):
        cols.insert(10, TONNES_COLUMN)
    return cols


def crma_rows(tracker: selectors.CrmaTracker) -> list[dict]:
    rows = []
    for m in tracker.materials:
        f = tracker.current.get(m.pk)
        rows.append(_crma_row(m, f))
    return rows


def _crma_row(m, f, round=None) -> dict:
    third = f.largest_third_country if f else None
    return {
        "round": round.title if round else "",
        "material": m,
        "code": m.code,
        "name": m.name,
        "total_t": f.total_t if f else None,
        "extracted": _p(f.extracted.share) if f else None,
        "extracted_met": f.extracted.met if f else None,
        "processed": _p(f.processed.share) if f else None,
        "processed_met": f.processed.met if f else None,
        "recycled": _p(f.recycled.share) if f else None,
        "recycled_met": f.recycled.met if f else None,
        "third_country": country_name(third.key) if third else "",
        "third_country_share": _p(f.third_country.share) if f else None,
        "third_country_met": f.third_country.met if f else None,
    }


def crma_trend_rows(tracker: selectors.CrmaTracker) -> list[dict]:
    rows = []
    for entry in tracker.rounds:
        for m in tracker.materials:
            if m.pk in entry.figures:
                rows.append(_crma_row(m, entry.figures[m.pk], entry.round))
    return rows


CRMA_COLUMNS = [
    ("code", _("Material code")),
    ("name", _("Material")),
    ("extracted", _("Extracted in the EU (%)")),
    ("processed", _("Processed in the EU (%)")),
    ("recycled", _("Recycled in the EU (%)")),
    ("third_country", _("Largest third country")),
    ("third_country_share", _("Share of the largest third country (%)")),
    ("third_country_met", _("At most 65 %")),
]


def crma_columns(user: User, *, trend: bool = False) -> list[tuple[str, str]]:
    from . import policy

    cols = list(CRMA_COLUMNS)
    if policy.reads_contracted_tonnes(user):
        cols.insert(2, ("total_t", _("Contracted supply (t)")))
    if trend:
        cols.insert(0, ("round", _("Round")))
    return cols


def latest_coverage(user: User):
    """Coverage per material of the newest round with published positions, as ``user`` may see
    it (disclosed cells only for members and the ministry): (round, position set, cells, rows),
    or Nones and empty lists before anything is published."""
    from tradinghouse import selectors as position_selectors

    latest = next(
        (
            (round, position_set)
            for round, position_set in position_selectors.rounds_with_positions(user)
            if position_set is not None
        ),
        None,
    )
    if latest is None:
        return None, None, [], []
    round, position_set = latest
    cells = position_selectors.position_cells(user=user, round=round, position_set=position_set)
    return round, position_set, cells, position_selectors.coverage_by_material(cells)


COVERAGE_COLUMNS = [
    ("code", _("Material code")),
    ("name", _("Material")),
    ("cells", _("Disclosed cells")),
    ("demand_t", _("Disclosed demand (t)")),
    ("contracted_t", _("Contracted (t)")),
    ("coverage", _("Coverage")),
]


def coverage_export_rows(rows: list[dict]) -> list[dict]:
    return [
        {
            "code": r["material"].code,
            "name": r["material"].name,
            "cells": r["cells"],
            "demand_t": r["demand_t"],
            "contracted_t": r["contracted_t"] if r["coverage"] is not None else None,
            "coverage": None
            if r["coverage"] is None
            else r["coverage"].quantize(Decimal("0.0001")),
        }
        for r in rows
    ]
