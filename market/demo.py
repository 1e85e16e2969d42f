"""Demo market (``manage.py seed_demo``): the four demo suppliers linked to counterparties of the
desk's book, one finished call on the aggregated demo round with an offer from each supplier, its
matching run, and one match turned into a draft offtake contract. Everything goes through the
services, so audit events exist. Safe to run twice: a demo call that exists is left as it is.

Needs the accounts (core), the aggregated round's published positions (tradinghouse) and the FX
rates (contracts).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from contracts.models import Counterparty
from industry.models import DemandRound
from rohstoff.core.demo import SUPPLIERS
from rohstoff.core.models import Organisation

from . import runs, services
from .models import Call, OfferResult

DESK = "desk@handelshaus.example"
CALL_TITLE = "Angebotsaufruf Lithium 2027/28 (Demo)"
# Per supplier (by its demo slug): counterparty kind, stage, price in its currency per t, currency,
# Incoterm and place, share of each quarter's open demand it offers, minimum over the offer.
TERMS = {
    "andes-litio": ("producer", "refined", "14200", "USD", "CIF", "Hamburg", "0.55", "0"),
    "nordic-metals": ("refiner", "refined", "15100", "EUR", "DAP", "Hamburg", "0.30", "0"),
    "outback-ree": ("producer", "mined", "13900", "USD", "CIF", "Rotterdam", "0.40", "50"),
    "rheinland-recycling": ("recycler", "recycled", "15600", "EUR", "DAP", "Duisburg", "0.15", "0"),
}


def seed_suppliers(context: dict) -> dict:
    desk = context["users"][DESK]
    for name, country, slug in SUPPLIERS:
        organisation = Organisation.objects.get(name=name)
        kind = TERMS[slug][0]
        counterparty = Counterparty.objects.filter(
            name=name
        ).first() or Counterparty.objects.create(
            name=name, kind=kind, country=country, notes="Demo-Lieferant (fiktiv)."
        )
        services.supplier_link_save(
            actor=desk, organisation=organisation, counterparty=counterparty
        )
    return context


def seed(context: dict) -> dict:
    seed_suppliers(context)
    if Call.objects.filter(title=CALL_TITLE).exists():
        return context
    desk = context["users"][DESK]
    round_ = (
        DemandRound.objects.filter(
            position_sets__is_current=True, position_sets__published_at__isnull=False
        )
        .order_by("-closes_at")
        .first()
    )
    if round_ is None:
        return context
    call = services.call_open(
        actor=desk,
        round=round_,
        title=CALL_TITLE,
        deadline=timezone.now() + datetime.timedelta(days=1),
        terms=(
            "Lieferung nach Incoterms 2020 an einen EU-Hafen; Zahlung 30 Tage nach Lieferung; "
            "Verträge werden einzeln mit dem Handelshaus verhandelt."
        ),
        specifications="Lithiumhydroxid-Monohydrat, Batteriequalität, LiOH ≥ 56,5 %.",
    )
    cells = [c for c in call.position_set.cells.select_related("material") if c.open_t > 0]
    material = next((c.material for c in cells if c.material.code == "lithium-hydroxide"), None)
    material = material or (cells[0].material if cells else None)
    if material is None:
        return context
    quarters = {c.quarter: c.open_t for c in cells if c.material_id == material.pk}
    for _name, country, slug in SUPPLIERS:
        _kind, stage, price, currency, incoterm, place, share, minimum = TERMS[slug]
        user = context["users"][f"angebot@{slug}.example"]
        volumes = {
            q: (t * Decimal(share)).quantize(Decimal("1"), rounding=ROUND_DOWN)
            for q, t in quarters.items()
        }
        services.offer_save(
            actor=user,
            call=call,
            quarters={q: v for q, v in volumes.items() if v > 0},
            material=material,
            minimum_t=Decimal(minimum),
            currency=currency,
            price_unit="t",
            pricing_type="fixed",
            fixed_price=Decimal(price),
            incoterm=incoterm,
            incoterm_place=place,
            origin_country=country,
            origin_stage=stage,
            esg="Zertifiziert nach IRMA (Demo-Angabe)." if slug == "nordic-metals" else "",
        )
    # The demo's call is finished: its deadline passed, it was matched.
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    run = runs.match_run(call_id=call.pk)
    first = (
        OfferResult.objects.filter(run=run, matched_t__gt=0).order_by("-matched_t", "pk").first()
    )
    if first is not None:
        runs.contract_draft_from_match(actor=desk, result=first)
    return context
