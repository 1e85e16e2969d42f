"""Every write of offtake contracts: keyword-only functions, atomic, audit-logged. Side effects
(e-mails, re-aggregation of positions) run after commit.

Errors: ``ValidationError`` for bad input (pages show it at the field, the API answers 400) and
``StateConflict`` when the state forbids the change (the API answers 409).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import zipfile
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Role, User
from rohstoff.core.periods import Quarter

from . import allocation as allocation_rule
from . import schedule as schedule_rules
from .models import (
    CONTRACT_TRANSITIONS,
    SUPPLY_STATES,
    Allocation,
    AllocationRound,
    AllocationState,
    ContractDocument,
    ContractState,
    Counterparty,
    Delivery,
    FxRate,
    IndexValue,
    InvoiceState,
    OfftakeContract,
    PriceIndex,
    PricingType,
    ScheduleEntry,
    ScheduleFlag,
)
from .pricing import quarter_of

log = logging.getLogger(__name__)

CONTRACT_FIELDS = [
    "reference",
    "counterparty",
    "round",
    "material",
    "grade",
    "start_quarter",
    "end_quarter",
    "annual_volume_t",
    "tolerance_pct",
    "take_or_pay_pct",
    "incoterm",
    "incoterm_place",
    "currency",
    "price_unit",
    "pricing_type",
    "fixed_price",
    "index",
    "quotational_period",
    "premium",
    "floor",
    "cap",
    "fee_type",
    "fee_value",
    "lot_size_t",
    "project",
]
EDITABLE_STATES = (ContractState.DRAFT, ContractState.NEGOTIATING)
# Allocation rounds whose shares the members have been given.


# ---- positions -------------------------------------------------------------------------------


def _refresh_positions(*, round, actor) -> None:
    """After commit: let the positions of ``round`` pick up the new contracted and allocated
    tonnes (tradinghouse re-runs its aggregation job; it ignores rounds still in draft or open,
    whose positions are computed when they close)."""

    def refresh():
        from tradinghouse.services import positions_refresh

        try:
            positions_refresh(round=round, actor=actor)
        except (StateConflict, ValidationError) as exc:
            log.warning("positions of round %s not refreshed: %s", round.pk, exc)

    transaction.on_commit(refresh)


# ---- counterparties --------------------------------------------------------------------------


@transaction.atomic
def counterparty_save(
    *,
    actor,
    counterparty: Counterparty | None = None,
    name: str,
    kind: str,
    country: str,
    notes: str = "",
) -> Counterparty:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the counterparty a name.")})
    clash = Counterparty.objects.filter(name__iexact=name)
    if counterparty is not None:
        clash = clash.exclude(pk=counterparty.pk)
    if clash.exists():
        raise ValidationError({"name": _("A counterparty with this name exists already.")})
    fields = ["name", "kind", "country", "notes"]
    before = snapshot(counterparty, fields) if counterparty else None
    counterparty = counterparty or Counterparty()
    counterparty.name, counterparty.kind, counterparty.country, counterparty.notes = (
        name,
        kind,
        country,
        notes,
    )
    counterparty.full_clean()
    counterparty.save()
    audit_record(
        actor=actor,
        action="counterparty.update" if before else "counterparty.create",
        obj=counterparty,
        before=before,
        after=snapshot(counterparty, fields),
    )
    return counterparty


# ---- contracts -------------------------------------------------------------------------------


def contract_check(contract: OfftakeContract) -> None:
    """The rules of a contract's terms that need more than one field, in words the desk
    understands. Raises ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if (
        contract.start_quarter is not None
        and contract.end_quarter is not None
        and contract.end_quarter < contract.start_quarter
    ):
        add("end_quarter", _("The last quarter lies before the first one."))
    if (
        contract.round_id
        and contract.start_quarter is not None
        and contract.end_quarter is not None
    ):
        r = contract.round
        if contract.end_quarter < r.first_quarter or contract.start_quarter > r.last_quarter:
            add(
                "start_quarter",
                _(
                    "The term %(first)s to %(last)s does not overlap the round's delivery window %(rfirst)s to %(rlast)s."
                )
                % {
                    "first": Quarter.from_index(contract.start_quarter),
                    "last": Quarter.from_index(contract.end_quarter),
                    "rfirst": r.first_period,
                    "rlast": r.last_period,
                },
            )
        if contract.material_id and not r.materials.filter(pk=contract.material_id).exists():
            add(
                "material",
                _("The round %(round)s does not collect demand for this material.")
                % {"round": r.title},
            )
    if contract.annual_volume_t is not None and contract.annual_volume_t <= 0:
        add("annual_volume_t", _("The annual volume must be more than zero."))
    if contract.lot_size_t is not None and contract.lot_size_t <= 0:
        add("lot_size_t", _("The lot size must be more than zero."))
    elif (
        contract.lot_size_t
        and contract.annual_volume_t
        and contract.lot_size_t > contract.annual_volume_t
    ):
        add("lot_size_t", _("A lot cannot be larger than the annual volume."))
    if contract.pricing_type == PricingType.FIXED:
        if contract.fixed_price is None:
            add("fixed_price", _("A fixed-price contract needs its price."))
        elif contract.fixed_price <= 0:
            add("fixed_price", _("The price must be more than zero."))
    elif contract.pricing_type == PricingType.INDEX:
        if not contract.index_id:
            add("index", _("Index-linked pricing needs a price index."))
        elif contract.material_id and contract.index.material_id != contract.material_id:
            add(
                "index",
                _("This index prices %(material)s, not the contract's material.")
                % {"material": contract.index.material},
            )
        if not contract.quotational_period:
            add("quotational_period", _("Index-linked pricing needs a quotational period."))
    if contract.floor is not None and contract.cap is not None and contract.floor > contract.cap:
        add(
            "floor",
            _("The floor (%(floor)s) is above the cap (%(cap)s).")
            % {"floor": contract.floor, "cap": contract.cap},
        )
    for name in ("floor", "cap"):
        value = getattr(contract, name)
        if value is not None and value < 0:
            add(name, _("A price limit cannot be negative."))
    if contract.fee_value is not None and contract.fee_value < 0:
        add("fee_value", _("The house fee cannot be negative."))
    if (
        contract.project_id
        and contract.material_id
        and not contract.project.materials.filter(pk=contract.material_id).exists()
    ):
        add(
            "project",
            _("The project %(project)s does not produce this material.")
            % {"project": contract.project},
        )
    if errors:
        raise ValidationError(errors)


def _apply(contract: OfftakeContract, data: dict) -> None:
    for name, value in data.items():
        if name not in CONTRACT_FIELDS:
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(contract, name, value)
    if contract.pricing_type == PricingType.FIXED:
        contract.index, contract.quotational_period = None, ""
    elif contract.pricing_type == PricingType.INDEX:
        contract.fixed_price = None


@transaction.atomic
def contract_create(*, actor, **data) -> OfftakeContract:
    contract = OfftakeContract(created_by=actor)
    _apply(contract, data)
    contract_check(contract)
    contract.full_clean(exclude=["created_by"])
    contract.save()
    audit_record(
        actor=actor,
        action="contract.create",
        obj=contract,
        after=snapshot(contract, CONTRACT_FIELDS + ["state"]),
    )
    return contract


@transaction.atomic
def contract_update(*, contract: OfftakeContract, actor, **data) -> OfftakeContract:
    """Change the terms of a contract in draft or negotiation; signed terms are fixed."""
    contract = OfftakeContract.objects.select_for_update().get(pk=contract.pk)
    if contract.state not in EDITABLE_STATES:
        raise StateConflict(
            _("The terms of a %(state)s contract cannot change.")
            % {"state": contract.get_state_display()}
        )
    before = snapshot(contract, CONTRACT_FIELDS)
    _apply(contract, data)
    contract_check(contract)
    contract.full_clean(exclude=["created_by"])
    contract.version += 1
    contract.save()
    after = snapshot(contract, CONTRACT_FIELDS)
    audit_record(
        actor=actor,
        action="contract.update",
        obj=contract,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return contract


@transaction.atomic
def contract_transition(
    *, contract: OfftakeContract, actor, to_state: str, signed_on: datetime.date | None = None
) -> OfftakeContract:
    """Move a contract to its next state (CONTRACT_TRANSITIONS). Signing needs a schedule that
    adds up; signed and active contracts count as contracted supply in positions."""
    contract = (
        OfftakeContract.objects.select_for_update().select_related("round").get(pk=contract.pk)
    )
    if to_state not in ContractState.values:
        raise ValidationError({"state": _("Unknown state.")})
    if to_state not in CONTRACT_TRANSITIONS[ContractState(contract.state)]:
        raise StateConflict(
            _("A %(from)s contract cannot become %(to)s.")
            % {"from": contract.get_state_display(), "to": ContractState(to_state).label}
        )
    before = {"state": contract.state, "signed_on": contract.signed_on}
    if to_state == ContractState.SIGNED:
        entries = dict(contract.schedule.values_list("quarter", "quantity_t"))
        if not entries:
            raise StateConflict(_("Enter the delivery schedule before you sign the contract."))
        problems = schedule_rules.check(
            contract.start_quarter,
            contract.end_quarter,
            contract.annual_volume_t,
            contract.tolerance_pct,
            entries,
        )
        if problems:
            raise StateConflict(
                _("The schedule does not fit the contract: %(problems)s")
                % {"problems": " ".join(problems)}
            )
        contract.signed_on = signed_on or timezone.localdate()
    contract.state = to_state
    contract.version += 1
    contract.save(update_fields=["state", "signed_on", "version", "updated_at"])
    if to_state == ContractState.TERMINATED:
        # Nothing more will be delivered: drafts go, and shares still open for an answer close
        # as they are (confirmed ones stay on record; the contract no longer counts as supply).
        contract.allocation_rounds.filter(state=AllocationRound.State.DRAFT).delete()
        contract.allocation_rounds.filter(state=AllocationRound.State.RELEASED).update(
            state=AllocationRound.State.CLOSED, closed_at=timezone.now()
        )
    audit_record(
        actor=actor,
        action=f"contract.{to_state}",
        obj=contract,
        before=before,
        after={"state": contract.state, "signed_on": contract.signed_on},
    )
    if (before["state"] in SUPPLY_STATES) != (to_state in SUPPLY_STATES):
        _refresh_positions(round=contract.round, actor=actor)
    return contract


# ---- schedule --------------------------------------------------------------------------------


@transaction.atomic
def schedule_set(
    *, contract: OfftakeContract, actor, entries: dict[int, Decimal]
) -> list[ScheduleEntry]:
    """Replace the contract's delivery schedule (quarter index -> tonnes). The quarters must lie
    in the term and each year add up to the annual volume within the tolerance."""
    contract = (
        OfftakeContract.objects.select_for_update().select_related("round").get(pk=contract.pk)
    )
    if contract.state in (ContractState.COMPLETED, ContractState.TERMINATED):
        raise StateConflict(
            _("The schedule of a %(state)s contract cannot change.")
            % {"state": contract.get_state_display()}
        )
    problems = []
    for q, t in sorted(entries.items()):
        # What the column holds (6 decimal places): refused here, not rounded by the database.
        try:
            ScheduleEntry(quarter=q, quantity_t=t).clean_fields(exclude=["contract"])
        except ValidationError as exc:
            problems.append(f"{Quarter.from_index(q)}: {' '.join(exc.messages)}")
    problems += schedule_rules.check(
        contract.start_quarter,
        contract.end_quarter,
        contract.annual_volume_t,
        contract.tolerance_pct,
        entries,
    )
    if problems:
        raise ValidationError(problems)
    old = {q: str(t) for q, t in contract.schedule.values_list("quarter", "quantity_t")}
    new = {q: str(t) for q, t in entries.items()}
    if old == new:
        return list(contract.schedule.all())
    # Released shares stay: no quarter, including one left out of the new schedule, may drop
    # below what its shares hold.
    allocated = (
        contract.allocations.filter(allocation_round__state__in=AllocationRound.RELEASED_STATES)
        .exclude(state=AllocationState.DECLINED)
        .values_list("quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by("quarter")
    )
    for q, allocated_t in allocated:
        if allocated_t and entries.get(q, Decimal(0)) < allocated_t:
            raise ValidationError(
                _(
                    "%(period)s: %(allocated)s t are already allocated to members; the schedule cannot go below that."
                )
                % {"period": Quarter.from_index(q), "allocated": allocated_t}
            )
    contract.allocation_rounds.filter(state=AllocationRound.State.DRAFT).delete()
    contract.schedule.all().delete()
    rows = ScheduleEntry.objects.bulk_create(
        [
            ScheduleEntry(contract=contract, quarter=q, quantity_t=t)
            for q, t in sorted(entries.items())
        ]
    )
    contract.version += 1
    contract.save(update_fields=["version", "updated_at"])
    audit_record(
        actor=actor,
        action="contract.schedule",
        obj=contract,
        before={str(Quarter.from_index(q)): t for q, t in old.items()},
        after={str(Quarter.from_index(q)): t for q, t in new.items()},
    )
    if contract.state in SUPPLY_STATES:
        _refresh_positions(round=contract.round, actor=actor)
    return rows


def schedule_generate(*, contract: OfftakeContract, actor) -> list[ScheduleEntry]:
    """A schedule of even quarters from the annual volume (a calendar year adds up exactly)."""
    return schedule_set(
        contract=contract,
        actor=actor,
        entries=schedule_rules.generate(
            contract.start_quarter, contract.end_quarter, contract.annual_volume_t
        ),
    )


# ---- deliveries ------------------------------------------------------------------------------

DELIVERY_FIELDS = [
    "quarter",
    "delivered_on",
    "quantity_t",
    "assay",
    "provisional_pct",
    "provisional_price",
    "final_price",
    "invoice_state",
    "notes",
]


def _invoice_state(delivery: Delivery) -> str:
    if delivery.final_price is not None:
        return InvoiceState.FINAL
    if delivery.provisional_price is not None:
        return InvoiceState.PROVISIONAL
    return InvoiceState.NONE


def _check_delivery(contract: OfftakeContract, delivery: Delivery) -> None:
    errors = {}
    if delivery.quantity_t is None or delivery.quantity_t <= 0:
        errors["quantity_t"] = _("The quantity must be more than zero.")
    if not contract.schedule.filter(quarter=delivery.quarter).exists():
        errors["quarter"] = _("The contract has no scheduled delivery in %(period)s.") % {
            "period": Quarter.from_index(delivery.quarter)
        }
    if delivery.delivered_on and delivery.delivered_on > timezone.localdate():
        errors["delivered_on"] = _("A delivery cannot be recorded before it has arrived.")
    for name in ("provisional_price", "final_price"):
        value = getattr(delivery, name)
        if value is not None and value < 0:
            errors[name] = _("A price cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def delivery_record(
    *,
    contract: OfftakeContract,
    actor,
    quarter: int | None = None,
    delivered_on: datetime.date,
    quantity_t: Decimal,
    assay: str = "",
    provisional_pct: Decimal = Decimal("90"),
    provisional_price: Decimal | None = None,
    final_price: Decimal | None = None,
    notes: str = "",
) -> Delivery:
    contract = OfftakeContract.objects.select_for_update().get(pk=contract.pk)
    if contract.state not in SUPPLY_STATES:
        raise StateConflict(_("Deliveries are recorded against signed or active contracts only."))
    if quarter is None:
        quarter = quarter_of(delivered_on).index
    delivery = Delivery(
        contract=contract,
        quarter=quarter,
        delivered_on=delivered_on,
        quantity_t=quantity_t,
        assay=assay,
        provisional_pct=provisional_pct,
        provisional_price=provisional_price,
        final_price=final_price,
        notes=notes,
        recorded_by=actor,
    )
    _check_delivery(contract, delivery)
    delivery.invoice_state = _invoice_state(delivery)
    delivery.full_clean(exclude=["recorded_by", "contract"])
    delivery.save()
    audit_record(
        actor=actor,
        action="delivery.record",
        obj=delivery,
        after=snapshot(delivery, DELIVERY_FIELDS),
    )
    return delivery


@transaction.atomic
def delivery_update(*, delivery: Delivery, actor, **data) -> Delivery:
    delivery = Delivery.objects.select_for_update().select_related("contract").get(pk=delivery.pk)
    before = snapshot(delivery, DELIVERY_FIELDS)
    for name, value in data.items():
        if name not in DELIVERY_FIELDS or name == "invoice_state":
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(delivery, name, value)
    _check_delivery(delivery.contract, delivery)
    delivery.invoice_state = _invoice_state(delivery)
    delivery.full_clean(exclude=["recorded_by", "contract"])
    delivery.save()
    after = snapshot(delivery, DELIVERY_FIELDS)
    audit_record(
        actor=actor,
        action="delivery.update",
        obj=delivery,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return delivery


# ---- documents -------------------------------------------------------------------------------

PDF, XLSX, DOCX = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
EXTENSIONS = {PDF: ".pdf", XLSX: ".xlsx", DOCX: ".docx"}


def sniff_document(upload) -> str | None:
    """The type of an uploaded file by its content (not its name): PDF, XLSX or DOCX, else None."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return XLSX
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    return None


@transaction.atomic
def document_upload(*, contract: OfftakeContract, actor, upload, kind: str) -> ContractDocument:
    limit = settings.CONTRACT_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; at most %(limit)s MB are accepted.")
                % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type = sniff_document(upload)
    if content_type is None:
        raise ValidationError(
            {
                "file": _(
                    "Only PDF, XLSX and DOCX files are accepted; this file is none of them, whatever its name says."
                )
            }
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "document").rsplit("/", 1)[-1][:200]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    document = ContractDocument(
        contract=contract,
        kind=kind,
        original_name=stem + EXTENSIONS[content_type],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save(
        f"{contract.pk}-{digest.hexdigest()[:16]}{EXTENSIONS[content_type]}", upload, save=False
    )
    document.save()
    audit_record(
        actor=actor,
        action="contract.document",
        obj=contract,
        after={
            "document": document.pk,
            "name": document.original_name,
            "sha256": document.sha256,
            "kind": kind,
        },
    )
    return document


# ---- prices ----------------------------------------------------------------------------------


@transaction.atomic
def index_create(
    *, actor, code: str, name: str, provider: str, material, currency: str, unit: str
) -> PriceIndex:
    if PriceIndex.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An index with this identifier exists already.")})
    index = PriceIndex(
        code=code, name=name, provider=provider, material=material, currency=currency, unit=unit
    )
    index.full_clean()
    index.save()
    audit_record(
        actor=actor,
        action="price_index.create",
        obj=index,
        after=snapshot(index, ["code", "name", "provider", "material", "currency", "unit"]),
    )
    return index


@transaction.atomic
def index_value_set(*, actor, index: PriceIndex, date: datetime.date, value: Decimal) -> IndexValue:
    """Enter (or correct) the index value of one day."""
    if value is None or value <= 0:
        raise ValidationError({"value": _("An index value must be more than zero.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("Index values are entered for days that have passed.")})
    existing = IndexValue.objects.select_for_update().filter(index=index, date=date).first()
    before = {"value": existing.value} if existing else None
    obj = existing or IndexValue(index=index, date=date)
    obj.value, obj.entered_by = value, actor
    # Refuses what the column cannot hold (more than 4 decimal places, too large) by field.
    obj.full_clean(exclude=["index", "entered_by"])
    obj.save()
    audit_record(
        actor=actor,
        action="price_index.value",
        obj=index,
        before=before,
        after={"date": date, "value": value},
    )
    return obj


@transaction.atomic
def fx_rate_set(*, actor, currency: str, date: datetime.date, per_eur: Decimal) -> FxRate:
    if currency == "EUR":
        raise ValidationError(
            {"currency": _("The euro is the reference currency; it needs no rate.")}
        )
    if per_eur is None or per_eur <= 0:
        raise ValidationError({"per_eur": _("A rate must be more than zero.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("Rates are entered for days that have passed.")})
    existing = FxRate.objects.select_for_update().filter(currency=currency, date=date).first()
    before = {"per_eur": existing.per_eur} if existing else None
    rate = existing or FxRate(currency=currency, date=date)
    rate.per_eur, rate.entered_by = per_eur, actor
    # Refuses an unknown currency and what the column cannot hold (more than 6 decimal places).
    rate.full_clean(exclude=["entered_by"])
    rate.save()
    audit_record(
        actor=actor,
        action="fx_rate.set",
        obj=rate,
        before=before,
        after={"currency": currency, "date": date, "per_eur": per_eur},
    )
    return rate


# ---- allocation ------------------------------------------------------------------------------


def _current_position_set(round):
    from tradinghouse.models import PositionSet

    position_set = PositionSet.objects.filter(round=round, is_current=True).first()
    if position_set is None:
        raise StateConflict(
            _(
                "The round “%(round)s” has no positions yet. Close it and let it aggregate before you allocate."
            )
            % {"round": round.title}
        )
    return position_set


def _earlier_contracts(contract: OfftakeContract):
    """Live contracts of the same round and material signed before this one (ties: lower id)."""
    return OfftakeContract.objects.filter(
        round_id=contract.round_id,
        material_id=contract.material_id,
        state__in=SUPPLY_STATES,
    ).filter(
        Q(signed_on__lt=contract.signed_on) | Q(signed_on=contract.signed_on, pk__lt=contract.pk)
    )


def remaining_demand(
    contract: OfftakeContract, quarters: list[int]
) -> dict[int, dict[int, Decimal]]:
    """quarter -> {organisation id -> firm demand still uncovered} before this contract: the firm
    part of the current positions minus what the round's other live contracts of the material
    have allocated (released, not declined). Those are the earlier-signed ones
    (``_check_allocatable``), and also a later-signed one already allocated when this contract's
    signing date was entered as earlier: a firm never gets more than it asked for in total."""
    from tradinghouse.models import FirmPosition

    position_set = _current_position_set(contract.round)
    demand: dict[int, dict[int, Decimal]] = {q: {} for q in quarters}
    for org, q, firm_t in FirmPosition.objects.filter(
        position_set=position_set,
        material_id=contract.material_id,
        quarter__in=quarters,
        demand_firm_t__gt=0,
    ).values_list("organisation_id", "quarter", "demand_firm_t"):
        demand[q][org] = firm_t
    taken = (
        Allocation.objects.filter(
            contract__round_id=contract.round_id,
            contract__material_id=contract.material_id,
            contract__state__in=SUPPLY_STATES,
            quarter__in=quarters,
            allocation_round__state__in=AllocationRound.RELEASED_STATES,
        )
        .exclude(contract=contract)
        .exclude(state=AllocationState.DECLINED)
        .values("organisation_id", "quarter")
        .annotate(t=Sum("quantity_t"))
    )
    for row in taken:
        firms = demand[row["quarter"]]
        if row["organisation_id"] in firms:
            firms[row["organisation_id"]] = max(
                firms[row["organisation_id"]] - row["t"], Decimal(0)
            )
    return demand


def _check_allocatable(contract: OfftakeContract) -> None:
    if contract.state not in SUPPLY_STATES:
        raise StateConflict(_("Only signed or active contracts are allocated to members."))
    pending = (
        _earlier_contracts(contract)
        .exclude(allocation_rounds__state__in=AllocationRound.RELEASED_STATES)
        .filter(schedule__quantity_t__gt=0)
        .distinct()
        .order_by("signed_on", "pk")
        .first()
    )
    if pending is not None:
        raise StateConflict(
            _(
                "Allocate %(reference)s first: it serves the same round and material and was signed earlier."
            )
            % {"reference": pending.reference}
        )


@transaction.atomic
def allocation_preview(*, contract: OfftakeContract, actor) -> AllocationRound:
    """Compute (or recompute) the draft allocation of every scheduled quarter of the contract by
    the DESIGN.md rule. Overrides of an earlier draft are discarded."""
    contract = (
        OfftakeContract.objects.select_for_update().select_related("round").get(pk=contract.pk)
    )
    _check_allocatable(contract)
    if contract.allocation_rounds.filter(state__in=AllocationRound.RELEASED_STATES).exists():
        raise StateConflict(_("This contract's volume has been released to the members already."))
    schedule = dict(contract.schedule.filter(quantity_t__gt=0).values_list("quarter", "quantity_t"))
    demand = remaining_demand(contract, list(schedule))
    contract.allocation_rounds.filter(state=AllocationRound.State.DRAFT).delete()
    draft = AllocationRound.objects.create(contract=contract, created_by=actor)
    rows = []
    totals = {}
    for quarter, volume in sorted(schedule.items()):
        result = allocation_rule.allocate(volume, contract.lot_size_t, demand[quarter])
        totals[str(Quarter.from_index(quarter))] = {
            "volume_t": str(volume),
            "allocated_t": str(result.allocated_t),
            "firms": len(result.shares),
        }
        for share in result.shares:
            rows.append(
                Allocation(
                    allocation_round=draft,
                    contract=contract,
                    organisation_id=share.organisation_id,
                    quarter=quarter,
                    requested_t=share.demand_t,
                    computed_t=result.quantity_t(share),
                    quantity_t=result.quantity_t(share),
                    explanation=result.explanation(share),
                )
            )
    Allocation.objects.bulk_create(rows, batch_size=2000)
    audit_record(
        actor=actor,
        action="allocation.preview",
        obj=draft,
        after={"contract": contract.pk, "quarters": totals},
    )
    return draft


def _lot_check(contract: OfftakeContract, quantity: Decimal) -> None:
    lot = allocation_rule.to_micro(contract.lot_size_t)
    try:
        micro = allocation_rule.to_micro(quantity)
    except ValueError:
        raise ValidationError({"quantity_t": _("At most 6 decimal places (grams).")}) from None
    if micro % lot:
        raise ValidationError(
            {"quantity_t": _("Allocate whole lots of %(lot)s t.") % {"lot": contract.lot_size_t}}
        )


@transaction.atomic
def allocation_override(
    *, allocation: Allocation, actor, quantity_t: Decimal, reason: str
) -> Allocation:
    """The desk sets a firm's share by hand, with a reason the firm sees. Whole lots, never more
    than the firm's remaining demand, never more than the quarter's scheduled volume in total."""
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("contract", "allocation_round", "contract__round")
        .get(pk=allocation.pk)
    )
    contract = allocation.contract
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you change the computed share; the firm will see it.")}
        )
    if (
        allocation.allocation_round.state == AllocationRound.State.CLOSED
        and allocation.state != AllocationState.CONFIRMED
    ):
        raise StateConflict(_("This allocation round is closed."))
    if allocation.state == AllocationState.DECLINED:
        raise StateConflict(_("The firm declined this share; it cannot be changed any more."))
    if quantity_t is None or quantity_t < 0:
        raise ValidationError({"quantity_t": _("The quantity cannot be negative.")})
    _lot_check(contract, quantity_t)
    if quantity_t > allocation.requested_t:
        raise ValidationError(
            {
                "quantity_t": _("The firm asked for %(requested)s t; a share cannot be larger.")
                % {"requested": allocation.requested_t}
            }
        )
    scheduled = contract.schedule.filter(quarter=allocation.quarter).values_list(
        "quantity_t", flat=True
    ).first() or Decimal(0)
    others = Allocation.objects.select_for_update().filter(
        allocation_round=allocation.allocation_round, quarter=allocation.quarter
    ).exclude(pk=allocation.pk).exclude(state=AllocationState.DECLINED).aggregate(
        s=Sum("quantity_t")
    )["s"] or Decimal(0)
    if others + quantity_t > scheduled:
        raise ValidationError(
            {
                "quantity_t": _("Only %(free)s t of %(period)s are not allocated to other firms.")
                % {"free": scheduled - others, "period": allocation.period}
            }
        )
    before = {"quantity_t": allocation.quantity_t, "override_reason": allocation.override_reason}
    allocation.quantity_t = quantity_t
    allocation.override_reason = reason
    allocation.overridden_by, allocation.overridden_at = actor, timezone.now()
    allocation.save(
        update_fields=["quantity_t", "override_reason", "overridden_by", "overridden_at"]
    )
    audit_record(
        actor=actor,
        action="allocation.override",
        obj=allocation,
        organisation=allocation.organisation_id,
        before=before,
        after={"quantity_t": quantity_t, "override_reason": reason},
    )
    if allocation.state == AllocationState.CONFIRMED:
        _refresh_positions(round=contract.round, actor=actor)
    return allocation


@transaction.atomic
def allocation_release(
    *, allocation_round: AllocationRound, actor, respond_by: datetime.datetime
) -> AllocationRound:
    """Release the draft to the member firms, who confirm or decline their shares by ``respond_by``."""
    allocation_round = (
        AllocationRound.objects.select_for_update()
        .select_related("contract", "contract__round")
        .get(pk=allocation_round.pk)
    )
    if allocation_round.state != AllocationRound.State.DRAFT:
        raise StateConflict(_("This allocation has been released already."))
    _check_allocatable(allocation_round.contract)
    if respond_by is None or respond_by <= timezone.now():
        raise ValidationError({"respond_by": _("The deadline must lie in the future.")})
    allocation_round.state = AllocationRound.State.RELEASED
    allocation_round.respond_by = respond_by
    allocation_round.released_at = timezone.now()
    allocation_round.save(update_fields=["state", "respond_by", "released_at"])
    firms = list(allocation_round.allocations.values_list("organisation_id", flat=True).distinct())
    audit_record(
        actor=actor,
        action="allocation.release",
        obj=allocation_round,
        after={
            "contract": allocation_round.contract_id,
            "respond_by": respond_by,
            "firms": len(firms),
        },
    )
    contract = allocation_round.contract

    def notify():
        recipients = list(
            User.objects.filter(
                organisation_id__in=firms, role__in=[Role.MEMBER, Role.MEMBER_ADMIN], is_active=True
            ).values_list("email", flat=True)
        )
        if not recipients:
            return
        with translation.override("de"):
            subject = _("[Rohstoff] New allocation from offtake %(reference)s") % {
                "reference": contract.reference
            }
            body = _(
                "The trading house has allocated volume of the offtake contract %(reference)s (%(material)s) to "
                "your firm. Please confirm or decline your share by %(deadline)s on the platform: %(url)s\n\n"
                "Shares not answered by then count as confirmed (your firm demand commits you to take them)."
            ) % {
                "reference": contract.reference,
                "material": contract.material.name_de,
                "deadline": date_format(timezone.localtime(respond_by), "SHORT_DATETIME_FORMAT"),
                "url": settings.SITE_URL + "/contracts/allocations/",
            }
        _send_bcc(subject, body, recipients)

    transaction.on_commit(notify)
    return allocation_round


def _send_bcc(subject: str, body: str, recipients: list[str]) -> None:
    from django.core.mail import EmailMessage

    EmailMessage(
        subject=subject, body=body, to=[settings.DEFAULT_FROM_EMAIL], bcc=recipients
    ).send()


def _close_if_answered(allocation_round: AllocationRound) -> None:
    if not allocation_round.allocations.filter(state=AllocationState.PROPOSED).exists():
        AllocationRound.objects.filter(
            pk=allocation_round.pk, state=AllocationRound.State.RELEASED
        ).update(state=AllocationRound.State.CLOSED, closed_at=timezone.now())


def _redistribute(allocation: Allocation, actor) -> dict[int, Decimal]:
    """Give a declined share to the firms of the same quarter that have not answered yet, by the
    same rule (pro rata to what they still lack, whole lots, largest remainder). Firms that have
    confirmed keep exactly what they confirmed. Returns organisation id -> tonnes received."""
    pending = list(
        Allocation.objects.select_for_update()
        .filter(
            allocation_round=allocation.allocation_round,
            quarter=allocation.quarter,
            state=AllocationState.PROPOSED,
        )
        .exclude(pk=allocation.pk)
        .order_by("organisation_id")
    )
    lacking = {a.organisation_id: a.requested_t - a.quantity_t for a in pending}
    result = allocation_rule.allocate(
        allocation.quantity_t, allocation.contract.lot_size_t, lacking
    )
    received = {}
    by_org = {a.organisation_id: a for a in pending}
    for share in result.shares:
        extra = result.quantity_t(share)
        if not extra:
            continue
        a = by_org[share.organisation_id]
        a.quantity_t += extra
        a.redistributed_t += extra
        a.explanation = {
            **a.explanation,
            "redistributed": a.explanation.get("redistributed", [])
            + [{**result.explanation(share), "from_declined_t": str(allocation.quantity_t)}],
        }
        received[a.organisation_id] = extra
    Allocation.objects.bulk_update(
        [by_org[o] for o in received], ["quantity_t", "redistributed_t", "explanation"]
    )
    return received


@transaction.atomic
def allocation_respond(*, allocation: Allocation, actor, accept: bool) -> Allocation:
    """A member confirms or declines its firm's share by the deadline. A declined share goes to
    the firms that have not answered yet, by the same rule.

    Locks every share of the same quarter, in id order, before reading any: two firms answering
    at once then wait for each other instead of deadlocking over the redistribution."""
    list(
        Allocation.objects.select_for_update()
        .filter(allocation_round_id=allocation.allocation_round_id, quarter=allocation.quarter)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    allocation = Allocation.objects.select_related(
        "allocation_round", "contract", "contract__round"
    ).get(pk=allocation.pk)
    if not (actor.is_member and actor.organisation_id == allocation.organisation_id):
        raise StateConflict(_("Only the firm itself answers for its share."))
    allocation_round = allocation.allocation_round
    if allocation.contract.state not in SUPPLY_STATES:
        raise StateConflict(_("The contract is no longer live; its shares cannot be answered."))
    if allocation_round.state != AllocationRound.State.RELEASED:
        raise StateConflict(_("This allocation is no longer open for answers."))
    if allocation.state != AllocationState.PROPOSED:
        raise StateConflict(
            _("Your firm has answered already (%(state)s).")
            % {"state": allocation.get_state_display()}
        )
    if allocation_round.respond_by and timezone.now() > allocation_round.respond_by:
        raise StateConflict(_("The deadline for answers has passed."))
    allocation.state = AllocationState.CONFIRMED if accept else AllocationState.DECLINED
    allocation.responded_by, allocation.responded_at = actor, timezone.now()
    allocation.save(update_fields=["state", "responded_by", "responded_at"])
    received = {} if accept else _redistribute(allocation, actor)
    audit_record(
        actor=actor,
        action="allocation.confirm" if accept else "allocation.decline",
        obj=allocation,
        organisation=allocation.organisation_id,
        before={"state": AllocationState.PROPOSED},
        after={
            "state": allocation.state,
            "quantity_t": allocation.quantity_t,
            "redistributed": {str(k): v for k, v in received.items()},
        },
    )
    _close_if_answered(allocation_round)
    if accept:
        # Positions count confirmed shares only; a decline (and its redistribution among shares
        # still open) changes none of them.
        _refresh_positions(round=allocation.contract.round, actor=actor)
    return allocation


@transaction.atomic
def allocations_deem_confirmed(*, now: datetime.datetime | None = None) -> int:
    """Shares not answered by the deadline count as confirmed: the firm entered that demand as
    firm, and the round's terms commit it to take back-to-back allocations within it. Closes the
    allocation rounds concerned. Safe to run twice. Returns the number of shares concerned."""
    now = now or timezone.now()
    due = list(
        AllocationRound.objects.select_for_update(skip_locked=True)
        .filter(state=AllocationRound.State.RELEASED, respond_by__lt=now)
        .select_related("contract", "contract__round")
    )
    count = 0
    rounds = {}
    for allocation_round in due:
        ids = list(
            allocation_round.allocations.filter(state=AllocationState.PROPOSED).values_list(
                "pk", flat=True
            )
        )
        Allocation.objects.filter(pk__in=ids).update(
            state=AllocationState.CONFIRMED, deemed_confirmed=True, responded_at=now
        )
        allocation_round.state, allocation_round.closed_at = AllocationRound.State.CLOSED, now
        allocation_round.save(update_fields=["state", "closed_at"])
        audit_record(
            actor=None,
            action="allocation.deadline",
            obj=allocation_round,
            after={"deemed_confirmed": len(ids), "respond_by": allocation_round.respond_by},
        )
        count += len(ids)
        rounds[allocation_round.contract.round_id] = allocation_round.contract.round
    for round in rounds.values():
        _refresh_positions(round=round, actor=None)
    return count


# ---- daily check of deliveries ---------------------------------------------------------------


def deliveries_flag(*, today: datetime.date | None = None) -> list[ScheduleFlag]:
    """Flag scheduled quarters that are late (past due, nothing delivered) or short (past due,
    below the tolerance) and e-mail the desk once about each new finding. Safe to run twice:
    a quarter already reported with the same finding is not reported again; a flag whose
    quarter has been made up is removed."""
    today = today or timezone.localdate()
    current = quarter_of(today).index
    new_flags = []
    with transaction.atomic():
        entries = (
            ScheduleEntry.objects.select_for_update(of=("self",))
            .filter(contract__state__in=SUPPLY_STATES, quarter__lt=current, quantity_t__gt=0)
            .select_related("contract", "contract__counterparty", "contract__material")
            .order_by("contract__reference", "quarter")
        )
        entries = list(entries)
        delivered = {
            (row["contract_id"], row["quarter"]): row["t"]
            for row in Delivery.objects.filter(contract_id__in={e.contract_id for e in entries})
            .values("contract_id", "quarter")
            .annotate(t=Sum("quantity_t"))
        }
        flags = {f.entry_id: f for f in ScheduleFlag.objects.filter(entry__in=entries)}
        for entry in entries:
            got = delivered.get((entry.contract_id, entry.quarter)) or Decimal(0)
            state = schedule_rules.status(
                entry.quarter, entry.quantity_t, got, entry.contract.tolerance_pct, today
            )
            flag = flags.get(entry.pk)
            if state not in ("late", "short"):
                if flag is not None:
                    flag.delete()
                continue
            if flag is None:
                flag = ScheduleFlag.objects.create(entry=entry, status=state, flagged_on=today)
            elif flag.status != state:
                flag.status, flag.flagged_on, flag.notified_at = state, today, None
                flag.save(update_fields=["status", "flagged_on", "notified_at"])
            if flag.notified_at is None:
                flag.delivered_t = got
                new_flags.append(flag)
        if new_flags:
            lines = []
            with translation.override("de"):
                for flag in new_flags:
                    e = flag.entry
                    lines.append(
                        f"- {e.contract.reference} ({e.contract.counterparty.name}, {e.contract.material.name_de}) "
                        f"{e.period}: {_(flag.get_status_display())}, "
                        + _("scheduled %(scheduled)s t, delivered %(delivered)s t")
                        % {"scheduled": e.quantity_t, "delivered": flag.delivered_t}
                    )
                subject = _("[Rohstoff] %(count)s deliveries late or short") % {
                    "count": len(new_flags)
                }
                body = (
                    _("The daily check of %(date)s found:") % {"date": today.strftime("%d.%m.%Y")}
                    + "\n\n"
                    + "\n".join(lines)
                    + "\n\n"
                    + settings.SITE_URL
                    + "/contracts/due/"
                )
            ids = [f.pk for f in new_flags]
            ScheduleFlag.objects.filter(pk__in=ids, notified_at__isnull=True).update(
                notified_at=timezone.now()
            )
            transaction.on_commit(
                lambda: send_mail(subject, body, None, [settings.TRADING_DESK_EMAIL])
            )
    return new_flags
