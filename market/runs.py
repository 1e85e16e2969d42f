"""Matching runs: the job that matches a call's offers to its open positions after the deadline,
the desk's adjustments, and a match turned into a draft offtake contract (docs/matching.md,
docs/suppliers.md). Writes are keyword-only, atomic and audit-logged."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import pricing
from contracts.models import ScheduleEntry
from contracts.offtakes.services import contract_create
from contracts.prices.selectors import latest_fx, latest_index_values
from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict
from rohstoff.core.periods import Quarter
from rohstoff.supply.concentration import is_third_country

from . import matching
from .matching import engine
from .models import (
    Call,
    CallState,
    MatchAllocation,
    MatchCell,
    MatchRun,
    Offer,
    OfferQuarter,
    OfferResult,
    OfferState,
    SupplierLink,
)

DECIMAL_PARAMS = {"matched_t", "offered_t", "minimum_t", "open_t", "would_get_t", "price_eur_t"}
T_PLACES = Decimal("0.000001")


# ---- the engine's notes, stored as JSON --------------------------------------------------------


def encode_notes(notes) -> list[dict]:
    return [
        {
            "code": note.code,
            "quarter": note.quarter.index if note.quarter else None,
            "params": {k: str(v) if isinstance(v, Decimal) else v for k, v in note.params},
        }
        for note in notes
    ]


def decode_notes(stored: list[dict]) -> list[engine.Note]:
    notes = []
    for item in stored:
        params = []
        for key, value in item.get("params", {}).items():
            if key in DECIMAL_PARAMS or key == "limit":
                value = Decimal(value)
            params.append((key, value))
        quarter = item.get("quarter")
        notes.append(
            engine.Note(
                item["code"],
                Quarter.from_index(quarter) if quarter is not None else None,
                tuple(params),
            )
        )
    return notes


# ---- the run ---------------------------------------------------------------------------------


def _landed_prices(offers: list[Offer]) -> tuple[dict[tuple[int, int], Decimal | None], dict]:
    """Each offer quarter's landed price in EUR/t on the latest index values and FX rates."""
    per_eur = latest_fx()
    latest = latest_index_values({o.index_id for o in offers if o.index_id})
    prices: dict[tuple[int, int], Decimal | None] = {}
    for offer in offers:
        values = [latest[offer.index_id][1]] if offer.index_id in latest else None
        for part in offer.quarters.all():
            try:
                prices[(offer.pk, part.quarter)] = pricing.landed_price_eur(
                    offer, part.period, index_values=values, per_eur=per_eur
                )
            except pricing.MissingPrice:
                prices[(offer.pk, part.quarter)] = None
    inputs = {
        "fx_per_eur": {k: str(v) for k, v in sorted(per_eur.items())},
        "index_values": {
            str(index_id): {"date": str(d), "value": str(v)}
            for index_id, (d, v) in sorted(latest.items())
        },
    }
    return prices, inputs


def build_input(call: Call) -> tuple[list, list, dict, dict]:
    """The engine's input: open demand per cell of the call's published set (demand minus
    contracted, every cell: disclosure does not limit what the desk matches) and the active
    offers with their landed prices."""
    cells = [
        matching.DemandCell(c.material_id, Quarter.from_index(c.quarter), c.open_t)
        for c in call.position_set.cells.all()
        if c.open_t > 0
    ]
    offers = list(
        call.offers.filter(state=OfferState.ACTIVE).prefetch_related(
            Prefetch("quarters", queryset=OfferQuarter.objects.order_by("quarter"))
        )
    )
    prices, inputs = _landed_prices(offers)
    engine_offers = [
        matching.Offer(
            offer_id=o.pk,
            supplier_id=o.supplier_id,
            material_id=o.material_id,
            origin=o.origin_country.code,
            origin_in_eu=not is_third_country(o.origin_country.code),
            quarters=tuple(
                matching.OfferQuarter(q.period, q.volume_t, prices[(o.pk, q.quarter)])
                for q in o.quarters.all()
            ),
            submitted_at=o.submitted_at,
            minimum_t=o.minimum_t,
        )
        for o in offers
    ]
    return cells, engine_offers, prices, inputs


@transaction.atomic
def match_run(*, call_id: int, now: datetime.datetime | None = None) -> MatchRun:
    """Match the call once its deadline has passed; a call matched already keeps its run (safe
    to run twice)."""
    call = Call.objects.select_for_update().select_related("position_set").get(pk=call_id)
    existing = call.runs.filter(is_current=True).first()
    if existing is not None:
        return existing
    if not call.deadline_passed(now):
        raise StateConflict(_("The call is open until its deadline; it is matched after it."))
    cells, offers, prices, inputs = build_input(call)
    result = matching.match(cells, offers, limit=call.diversification_limit)
    run = MatchRun.objects.create(call=call, limit=call.diversification_limit, inputs=inputs)
    MatchCell.objects.bulk_create(
        MatchCell(
            run=run,
            material_id=c.material_id,
            quarter=c.quarter.index,
            open_t=c.open_t,
            matched_t=c.matched_t,
            uncovered_t=c.uncovered_t,
            uncovered_reason=c.uncovered_reason or "",
            countries={k: str(v) for k, v in c.countries},
        )
        for c in result.cells
    )
    OfferResult.objects.bulk_create(
        OfferResult(
            run=run,
            offer_id=o.offer_id,
            status=o.status,
            offered_t=o.offered_t,
            matched_t=o.matched_t,
            notes=encode_notes(o.notes),
        )
        for o in result.offers
    )
    MatchAllocation.objects.bulk_create(
        MatchAllocation(
            run=run,
            offer_id=a.offer_id,
            material_id=a.material_id,
            quarter=a.quarter.index,
            price_eur_t=prices.get((a.offer_id, a.quarter.index)),
            computed_t=a.tonnes,
            quantity_t=a.tonnes,
        )
        for a in result.allocations
        if a.tonnes > 0
    )
    call.state = CallState.MATCHED
    call.save(update_fields=["state"])
    audit_record(
        actor="system",
        action="call.match",
        obj=call,
        after={
            "run": run.pk,
            "offers": len(offers),
            "matched_t": str(sum((a.tonnes for a in result.allocations), Decimal(0))),
        },
    )
    return run


def due_calls(now: datetime.datetime | None = None):
    """Open calls whose deadline has passed: the beat task matches them."""
    return Call.objects.filter(state=CallState.OPEN, deadline__lte=now or timezone.now())


# ---- the desk's review ------------------------------------------------------------------------


@transaction.atomic
def allocation_adjust(
    *, actor, allocation: MatchAllocation, quantity_t: Decimal, reason: str
) -> MatchAllocation:
    """Set a match's tonnes by hand, with a reason the audit log keeps. Not above what the offer
    offers in that quarter; not once the offer's match is a contract."""
    allocation = MatchAllocation.objects.select_for_update().get(pk=allocation.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the change.")})
    if len(reason) > 2000:
        raise ValidationError({"reason": _("At most %(limit)s characters.") % {"limit": 2000}})
    result = OfferResult.objects.select_for_update().get(
        run_id=allocation.run_id, offer_id=allocation.offer_id
    )
    if result.contract_id:
        raise StateConflict(_("This match is a contract already; change the contract instead."))
    offered = (
        OfferQuarter.objects.filter(offer_id=allocation.offer_id, quarter=allocation.quarter)
        .values_list("volume_t", flat=True)
        .first()
    ) or Decimal(0)
    try:
        MatchAllocation(quantity_t=quantity_t).clean_fields(
            exclude=["run", "offer", "material", "quarter", "computed_t", "price_eur_t"]
        )
    except ValidationError as exc:
        raise ValidationError({"quantity_t": exc.messages}) from None
    if quantity_t < 0 or quantity_t > offered:
        raise ValidationError(
            {"quantity_t": _("Between zero and the %(offered)s t offered.") % {"offered": offered}}
        )
    before = {"quantity_t": str(allocation.quantity_t)}
    allocation.quantity_t = quantity_t
    allocation.adjust_reason = reason
    allocation.adjusted_by = actor
    allocation.adjusted_at = timezone.now()
    allocation.save()
    result.matched_t = MatchAllocation.objects.filter(
        run_id=allocation.run_id, offer_id=allocation.offer_id
    ).aggregate(t=Sum("quantity_t"))["t"] or Decimal(0)
    result.save(update_fields=["matched_t"])
    audit_record(
        actor=actor,
        action="match.adjust",
        obj=allocation,
        before=before,
        after={"quantity_t": str(quantity_t), "reason": reason},
    )
    return allocation


def _reference(result: OfferResult) -> str:
    return f"MK-{result.run.call_id:04d}-{result.offer_id:05d}"


@transaction.atomic
def contract_draft_from_match(*, actor, result: OfferResult):
    """The offer's match as a DRAFT offtake contract with the supplier's counterparty: the offer's
    price terms, Incoterm and place, its matched quarters as the schedule. From there it follows
    the contracts' flow (negotiation, signing, allocation to members). Made once: asking again
    returns the same contract."""
    result = (
        OfferResult.objects.select_for_update(of=("self",))
        .select_related("run__call__round", "offer__material", "offer__index")
        .get(pk=result.pk)
    )
    if result.contract_id:
        return result.contract
    if not result.run.is_current:
        raise StateConflict(_("This match belongs to an earlier run."))
    offer = result.offer
    link = SupplierLink.objects.filter(organisation_id=offer.supplier_id).first()
    if link is None:
        raise StateConflict(_("The supplier is not linked to a counterparty."))
    entries = {
        q: t
        for q, t in MatchAllocation.objects.filter(run=result.run, offer=offer, quantity_t__gt=0)
        .order_by("quarter")
        .values_list("quarter", "quantity_t")
    }
    if not entries:
        raise StateConflict(_("Nothing was matched to this offer."))
    first, last = min(entries), max(entries)
    total = sum(entries.values(), Decimal(0))
    # An average year over the term; the desk settles the exact annual volume in negotiation.
    annual = (total * 4 / (last - first + 1)).quantize(T_PLACES, rounding=ROUND_HALF_EVEN)
    contract = contract_create(
        actor=actor,
        reference=_reference(result),
        counterparty=link.counterparty,
        round=result.run.call.round,
        material=offer.material,
        grade="",
        start_quarter=first,
        end_quarter=last,
        annual_volume_t=annual,
        incoterm=offer.incoterm,
        incoterm_place=offer.incoterm_place,
        currency=offer.currency,
        price_unit=offer.price_unit,
        pricing_type=offer.pricing_type,
        fixed_price=offer.fixed_price,
        index=offer.index,
        quotational_period=offer.quotational_period,
        premium=offer.premium,
        floor=offer.floor,
        cap=offer.cap,
    )
    ScheduleEntry.objects.bulk_create(
        ScheduleEntry(contract=contract, quarter=q, quantity_t=t) for q, t in entries.items()
    )
    result.contract = contract
    result.save(update_fields=["contract"])
    audit_record(
        actor=actor,
        action="match.contract",
        obj=result,
        after={"contract": contract.pk, "offer": offer.pk, "schedule": entries},
    )
    return contract
