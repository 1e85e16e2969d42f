"""The printable briefing "Lagebild Rohstoffversorgung" (docs/supply-security.md, "Briefing"):
a summary and one page per strategic raw material of a round, as a PDF rendered by WeasyPrint
from HTML. Position figures are those members and the ministry see (disclosed cells only),
whoever prints it, since a PDF travels. Reproducible: the figures depend only on the round's
current positions, the contracts, the reference data and the chosen date, and the document's
metadata dates are that date; nothing is fetched from the network (fonts come from the
system)."""

from __future__ import annotations

import datetime
import logging

from django.template.loader import render_to_string
from django.utils.translation import get_language

from industry.models import DemandRound
from rohstoff.core.models import CrmaStatus, User
from tradinghouse import selectors as position_selectors

from . import selectors, tables

# WeasyPrint reports each rendering step at INFO; a briefing is not worth seven log lines.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class NoNetwork(Exception):
    pass


def _no_fetch(url, *args, **kwargs):
    """WeasyPrint's URL fetcher: the document embeds nothing external."""
    raise NoNetwork(f"the briefing fetches nothing: {url}")


def briefing_context(*, user: User, round: DemandRound, as_of: datetime.date) -> dict:
    materials = list(
        round.materials.filter(crma=CrmaStatus.STRATEGIC).order_by("sort_order", "code")
    )
    cells = position_selectors.published_cells(round=round)
    coverage = {row["material"].pk: row for row in position_selectors.coverage_by_material(cells)}
    edition = selectors.current_edition()
    world = selectors.world_concentrations(edition=edition, materials=materials)
    contracted = selectors.contracted_concentrations(user=user, as_of=as_of, materials=materials)
    tracker = selectors.crma_tracker(user=user)
    round_crma = next((r.figures for r in tracker.rounds if r.round.pk == round.pk), {})
    pages = []
    for m in materials:
        w = world.get(m.pk)
        c = contracted.get(m.pk)
        pages.append(
            {
                "material": m,
                "cells": [cell for cell in cells if cell.material.pk == m.pk],
                "coverage": coverage.get(m.pk),
                "world": w,
                "world_shares": [
                    (tables.country_name(s.key, s.name), s.percent, s.key in w.estimated)
                    for s in (w.concentration.shares[:6] if w and w.concentration else [])
                ],
                "contracted": c,
                "contracted_shares": [
                    (tables.country_name(s.key), s.percent)
                    for s in (c.window.shares[:6] if c else [])
                ],
                "crma_round": round_crma.get(m.pk),
                "crma_all": tracker.current.get(m.pk),
            }
        )
    first = selectors.quarter_of(as_of)
    return {
        "round": round,
        "as_of": as_of,
        "edition": edition,
        "pages": pages,
        "window_first": first,
        "window_last": first + (selectors.WINDOW_QUARTERS - 1),
        "language": get_language() or "de",
    }


def render_briefing(*, user: User, round: DemandRound, as_of: datetime.date) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "supply/briefing.html", briefing_context(user=user, round=round, as_of=as_of)
    )
    document = HTML(string=html, url_fetcher=_no_fetch, base_url="about:blank").render()
    stamp = datetime.datetime.combine(as_of, datetime.time(12, 0)).isoformat() + "Z"
    document.metadata.created = stamp
    document.metadata.modified = stamp
    return document.write_pdf()
