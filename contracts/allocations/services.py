"""Writes of allocation of a contract's volume to the member firms: keyword-only functions, atomic,
audit-logged; side effects run after commit. ``ValidationError`` for bad input (400 in the API),
``StateConflict`` when the state forbids the change (409)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict
from rohstoff.core.formatting import format_tonnes
from rohstoff.core.mail import absolute_url, mail_enqueue
from rohstoff.core.periods import Quarter

from .. import allocation as allocation_rule
from .. import policy
from ..models import (
    SUPPLY_STATES,
    Allocation,
    AllocationRound,
    AllocationState,
    OfftakeContract,
)
from ..positions import refresh_positions


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
    part of the current positions, less what the firm reported as covered by itself, minus what
    the round's other live contracts of the material
    have allocated (released, not declined). Those are the earlier-signed ones
    (``_check_allocatable``), and also a later-signed one already allocated when this contract's
    signing date was entered as earlier: a firm never gets more than it asked for in total."""
    from tradinghouse.models import FirmPosition

    position_set = _current_position_set(contract.round)
    demand: dict[int, dict[int, Decimal]] = {q: {} for q in quarters}
    # What a firm reported as contracted by itself covers its firm demand first: the pool does
    # not allocate it volume it has already bought (docs/reported-contracts.md).
    for org, q, firm_t, direct_t in FirmPosition.objects.filter(
        position_set=position_set,
        material_id=contract.material_id,
        quarter__in=quarters,
        demand_firm_t__gt=0,
    ).values_list("organisation_id", "quarter", "demand_firm_t", "covered_directly_t"):
        if firm_t > direct_t:
            demand[q][org] = firm_t - direct_t
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


_SHARE_COLUMNS = (
    "allocation_round_id, contract_id, organisation_id, quarter, requested_t, computed_t, "
    "quantity_t, explanation, override_reason, redistributed_t, state, deemed_confirmed, "
    "reopen_reason"
)


def _share_lines(draft: AllocationRound, quarter: int, result) -> list[str]:
    """One quarter's shares as lines of COPY text in ``_SHARE_COLUMNS`` order: the same columns
    and defaults as ``Allocation``. Every value is an integer, a decimal text, a fixed word or the
    explanation's JSON (decimal strings, names and integers): nothing needs COPY's escaping."""
    lot = allocation_rule.to_micro(result.lot_t)
    explained = result.explanations_json()
    head = f"{draft.pk}\t{draft.contract_id}\t"
    tail = f"\t\t0\t{AllocationState.PROPOSED}\tf\t\n"
    lines = []
    for share in result.shares:
        quantity = allocation_rule.micro_text(share.lots * lot)
        lines.append(
            f"{head}{share.organisation_id}\t{quarter}\t"
            f"{allocation_rule.micro_text(share.demand_micro)}\t{quantity}\t{quantity}\t"
            f"{explained[share.organisation_id]}{tail}"
        )
    return lines


def _store_shares(draft: AllocationRound, results) -> None:
    """Store a preview's shares, ``results`` giving (quarter, allocation result) one quarter at a
    time. PostgreSQL: one COPY, fed a quarter at a time, so that the database stores a quarter
    while the next is computed. A national round has 5,000 firms x 20 quarters of shares, and
    building that many model objects for ``bulk_create`` alone took longer than the whole preview
    may (docs/benchmarks.md); the table's constraints and foreign keys check every row as for an
    INSERT. Other databases (SQLite, the first-run demo): model objects, the same values."""
    if connection.vendor != "postgresql":
        Allocation.objects.bulk_create(
            share for quarter, result in results for share in _share_objects(draft, quarter, result)
        )
        return
    table = Allocation._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({_SHARE_COLUMNS}) FROM STDIN") as copy,
    ):
        for quarter, result in results:
            copy.write("".join(_share_lines(draft, quarter, result)))


def _share_objects(draft: AllocationRound, quarter: int, result) -> list[Allocation]:
    """One quarter's shares as model objects: the values of ``_share_lines``."""
    quantities, explained = result.quantities(), result.explanations()
    return [
        Allocation(
            allocation_round=draft,
            contract_id=draft.contract_id,
            organisation_id=share.organisation_id,
            quarter=quarter,
            requested_t=share.demand_t,
            computed_t=quantities[share.organisation_id],
            quantity_t=quantities[share.organisation_id],
            explanation=explained[share.organisation_id],
        )
        for share in result.shares
    ]


@transaction.atomic
def allocation_preview(*, contract: OfftakeContract, actor) -> AllocationRound:
    """Compute (or recompute) the draft allocation of every scheduled quarter of the contract by
    the rule in docs/allocation.md. Overrides of an earlier draft are discarded."""
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
    totals = {}

    def quarters():
        for quarter, volume in sorted(schedule.items()):
            result = allocation_rule.allocate(volume, contract.lot_size_t, demand[quarter])
            totals[str(Quarter.from_index(quarter))] = {
                "volume_t": str(volume),
                "allocated_t": str(result.allocated_t),
                "firms": len(result.shares),
            }
            yield quarter, result

    _store_shares(draft, quarters())
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
            {
                "quantity_t": _("Allocate whole lots of %(lot)s.")
                % {"lot": format_tonnes(contract.lot_size_t)}
            }
        )


@transaction.atomic
def allocation_override(
    *, allocation: Allocation, actor, quantity_t: Decimal, reason: str
) -> Allocation:
    """The desk sets a firm's share by hand, with a reason the firm sees. Whole lots, never more
    than the firm's remaining demand, never more than the quarter's scheduled volume in total.
    Only a share the firm has not answered yet: a confirmed one is reopened first
    (:func:`allocation_reopen`)."""
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
    if allocation.state == AllocationState.DECLINED:
        raise StateConflict(_("The firm declined this share; it cannot be changed any more."))
    if allocation.state == AllocationState.CONFIRMED:
        raise StateConflict(
            _(
                "The firm has confirmed this share; reopen it with a reason, then the firm answers again."
            )
        )
    if allocation.allocation_round.state == AllocationRound.State.CLOSED:
        raise StateConflict(_("This allocation round is closed."))
    if quantity_t is None or quantity_t < 0:
        raise ValidationError({"quantity_t": _("The quantity cannot be negative.")})
    _lot_check(contract, quantity_t)
    if quantity_t > allocation.requested_t:
        raise ValidationError(
            {
                "quantity_t": _("The firm asked for %(requested)s; a share cannot be larger.")
                % {"requested": format_tonnes(allocation.requested_t)}
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
                "quantity_t": _("Only %(free)s of %(period)s are not allocated to other firms.")
                % {"free": format_tonnes(scheduled - others), "period": allocation.period}
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
    return allocation


@transaction.atomic
def allocation_reopen(
    *, allocation: Allocation, actor, reason: str, respond_by: datetime.datetime
) -> Allocation:
    """The desk reopens a share the firm has confirmed (or that counts as confirmed after the
    deadline), with a reason the firm sees: the share is open again, the desk may override it,
    and the firm answers again by ``respond_by``. The allocation round is open for answers again
    until the later of its deadline and ``respond_by``; positions stop counting the share until
    it is confirmed again.

    Locks the allocation round, then the share (the order of the deadline task)."""
    allocation_round = AllocationRound.objects.select_for_update().get(
        pk=allocation.allocation_round_id
    )
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("contract", "contract__round")
        .get(pk=allocation.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you reopen the share; the firm will see it.")})
    if allocation.state != AllocationState.CONFIRMED:
        raise StateConflict(_("Only a confirmed share can be reopened."))
    if allocation.contract.state not in SUPPLY_STATES:
        raise StateConflict(_("The contract is no longer live; its shares cannot be answered."))
    if respond_by is None or respond_by <= timezone.now():
        raise ValidationError({"respond_by": _("The deadline must lie in the future.")})
    before = {
        "state": allocation.state,
        "deemed_confirmed": allocation.deemed_confirmed,
        "respond_by": allocation_round.respond_by,
    }
    allocation.state = AllocationState.PROPOSED
    allocation.deemed_confirmed = False
    allocation.responded_by = allocation.responded_at = None
    allocation.reopen_reason, allocation.reopened_at = reason, timezone.now()
    allocation.save(
        update_fields=[
            "state",
            "deemed_confirmed",
            "responded_by",
            "responded_at",
            "reopen_reason",
            "reopened_at",
        ]
    )
    allocation_round.state = AllocationRound.State.RELEASED
    allocation_round.closed_at = None
    if allocation_round.respond_by is None or allocation_round.respond_by < respond_by:
        allocation_round.respond_by = respond_by
    allocation_round.save(update_fields=["state", "closed_at", "respond_by"])
    audit_record(
        actor=actor,
        action="allocation.reopen",
        obj=allocation,
        organisation=allocation.organisation_id,
        before=before,
        after={
            "state": allocation.state,
            "reopen_reason": reason,
            "respond_by": allocation_round.respond_by,
        },
    )
    refresh_positions(round=allocation.contract.round, actor=actor)
    mail_enqueue(
        template="contracts/email/allocation_reopened",
        to=policy.members_of([allocation.organisation_id]),
        context={
            "allocation": allocation,
            "respond_by": allocation_round.respond_by,
            "url": absolute_url("contracts:my_allocation", allocation.pk),
        },
    )
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
    # Without order_by() the model's ordering joins the DISTINCT: 100,000 rows for 5,000 firms.
    firms = list(
        allocation_round.allocations.order_by().values_list("organisation_id", flat=True).distinct()
    )
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
    mail_enqueue(
        template="contracts/email/allocation_released",
        to=policy.members_of(firms),
        context={
            "allocation_round": allocation_round,
            "url": absolute_url("contracts:my_allocations"),
        },
    )
    return allocation_round


# The members' side lives in ``answers``; callers keep importing it from here.
from .answers import (  # noqa: E402
    AnswerError,
    allocation_respond,
    allocations_deem_confirmed,
    allocations_respond,
)

__all__ = [
    "AnswerError",
    "allocation_override",
    "allocation_preview",
    "allocation_release",
    "allocation_reopen",
    "allocation_respond",
    "allocations_deem_confirmed",
    "allocations_respond",
    "remaining_demand",
]
