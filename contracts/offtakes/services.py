"""Writes of offtake contracts and their delivery schedules: keyword-only functions, atomic, audit-
logged; side effects run after commit. ``ValidationError`` for bad input (400 in the API),
``StateConflict`` when the state forbids the change (409)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.formatting import format_tonnes
from rohstoff.core.periods import Quarter

from .. import schedule as schedule_rules
from ..models import (
    CONTRACT_TRANSITIONS,
    SUPPLY_STATES,
    AllocationRound,
    AllocationState,
    ContractState,
    OfftakeContract,
    PricingType,
    ScheduleEntry,
)
from ..positions import refresh_positions

# The contract's terms as the desk enters them (the form shows them in this order, the audit log
# snapshots them).
CONTRACT_FIELDS = [
    "reference",
    "counterparty",
    "round",
    "material",
    "grade",
    "project",
    "start_quarter",
    "end_quarter",
    "annual_volume_t",
    "tolerance_pct",
    "take_or_pay_pct",
    "lot_size_t",
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
]
EDITABLE_STATES = (ContractState.DRAFT, ContractState.NEGOTIATING)


def contract_check(contract: OfftakeContract, *, price_open: bool = False) -> None:
    """The rules of a contract's terms that need more than one field, in words the desk
    understands. Raises ValidationError keyed by field. ``price_open``: a draft made from an
    agency stake may still lack its price (docs/stakes.md); it must have one to leave draft."""
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
        if contract.fixed_price is None and price_open:
            pass
        elif contract.fixed_price is None:
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
    if contract.state == ContractState.DRAFT and to_state != ContractState.TERMINATED:
        try:
            contract_check(contract)  # a draft from a stake may lack its price until here
        except ValidationError as exc:
            raise StateConflict(
                _("Complete the contract's terms first: %(problems)s")
                % {"problems": " ".join(exc.messages)}
            ) from exc
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
        refresh_positions(round=contract.round, actor=actor)
    return contract


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
                    "%(period)s: %(allocated)s are already allocated to members; the schedule cannot go below that."
                )
                % {"period": Quarter.from_index(q), "allocated": format_tonnes(allocated_t)}
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
        refresh_positions(round=contract.round, actor=actor)
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
