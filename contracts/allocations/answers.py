"""Members' answers to their allocations: confirm or decline (one or several at once), the
redistribution of a declined share to the other firms, and the deadline after which an open
allocation counts as confirmed (docs/allocation.md). Split from ``services`` (the desk's side:
preview, override, reopen, release), which re-exports these functions."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict

from .. import allocation as allocation_rule
from .. import policy
from ..models import (
    SUPPLY_STATES,
    Allocation,
    AllocationRound,
    AllocationState,
)
from ..positions import refresh_positions


def _close_if_answered(allocation_round: AllocationRound) -> None:
    if not allocation_round.allocations.filter(state=AllocationState.PROPOSED).exists():
        AllocationRound.objects.filter(
            pk=allocation_round.pk, state=AllocationRound.State.RELEASED
        ).update(state=AllocationRound.State.CLOSED, closed_at=timezone.now())


def _redistribute(allocation: Allocation, actor) -> dict[int, Decimal]:
    """Give a declined share to the firms of the same quarter that have not answered yet, by the
    same rule (pro rata to what they still lack, whole lots, largest remainder). Firms that have
    confirmed keep exactly what they confirmed. Returns organisation id -> tonnes received.

    Reads four columns of the open shares and appends each firm's entry to its explanation in
    the database: a national quarter has 5,000 of them (docs/benchmarks.md)."""
    pending = list(
        Allocation.objects.select_for_update()
        .filter(
            allocation_round=allocation.allocation_round,
            quarter=allocation.quarter,
            state=AllocationState.PROPOSED,
        )
        .exclude(pk=allocation.pk)
        .order_by("organisation_id")
        .values_list("pk", "organisation_id", "requested_t", "quantity_t")
    )
    lacking = {org: requested - quantity for _pk, org, requested, quantity in pending}
    result = allocation_rule.allocate(
        allocation.quantity_t, allocation.contract.lot_size_t, lacking
    )
    pk_of = {org: pk for pk, org, _requested, _quantity in pending}
    postgres = connection.vendor == "postgresql"
    # On PostgreSQL each firm's entry carries its own figures only; the UPDATE adds the figures
    # every firm shares, sent once.
    explained = result.explanations_json(own_only=postgres)
    quantities = result.quantities()
    received, ids, added, entries = {}, [], [], []
    for share in result.shares:
        extra = quantities[share.organisation_id]
        if not extra:
            continue
        ids.append(pk_of[share.organisation_id])
        added.append(extra)
        entries.append(explained[share.organisation_id])
        received[share.organisation_id] = extra
    declined = {"from_declined_t": str(allocation.quantity_t)}
    if ids and not postgres:
        # SQLite (the first-run demo): a few firms, one update each.
        for pk, extra, entry in zip(ids, added, entries, strict=True):
            share = Allocation.objects.get(pk=pk)
            explanation = dict(share.explanation)
            explanation["redistributed"] = [
                *explanation.get("redistributed", []),
                {**json.loads(entry), **declined},
            ]
            Allocation.objects.filter(pk=pk).update(
                quantity_t=F("quantity_t") + extra,
                redistributed_t=F("redistributed_t") + extra,
                explanation=explanation,
            )
    elif ids:
        # One UPDATE from arrays: ``bulk_update`` builds a CASE per row and took 20 s for the
        # 5,000 firms of a national round. The entries travel as one JSON array (a text array of
        # 5,000 JSON texts cost 0.2 s to send), the shared figures once (docs/benchmarks.md).
        shared = result.common_json(**declined)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE contracts_allocation AS a"
                " SET quantity_t = a.quantity_t + v.extra,"
                " redistributed_t = a.redistributed_t + v.extra,"
                " explanation = a.explanation || jsonb_build_object('redistributed',"
                " COALESCE(a.explanation -> 'redistributed', '[]'::jsonb)"
                " || jsonb_build_array(%s::jsonb || v.entry))"
                " FROM ROWS FROM (unnest(%s::bigint[]), unnest(%s::numeric[]),"
                " jsonb_array_elements(%s::jsonb)) AS v(id, extra, entry) WHERE a.id = v.id",
                [shared, ids, added, "[" + ",".join(entries) + "]"],
            )
    return received


@transaction.atomic
def allocation_respond(
    *, allocation: Allocation, actor, accept: bool, refresh: bool = True
) -> Allocation:
    """A member confirms or declines its firm's share by the deadline. A declined share goes to
    the firms that have not answered yet, by the same rule. ``refresh=False``: the caller
    refreshes the round's positions once after answering several shares.

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
    if not policy.answers_for(actor, allocation):
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
    if accept and refresh:
        # Positions count confirmed shares only; a decline (and its redistribution among shares
        # still open) changes none of them.
        refresh_positions(round=allocation.contract.round, actor=actor)
    return allocation


class AnswerError(StateConflict):
    """One share of a set of answers could not be answered; nothing of the set was written."""

    def __init__(self, message, *, allocation: Allocation):
        super().__init__(message)
        self.allocation = allocation


@transaction.atomic
def allocations_respond(*, answers: dict[Allocation, bool], actor) -> list[Allocation]:
    """A member answers several shares of its firm at once (the answer page of a contract):
    ``answers`` maps each share to True (confirm) or False (decline). Each share goes through
    :func:`allocation_respond`, with its rules, audit event and redistribution, in quarter order
    (the order in which any two answering firms lock the quarters, so they wait rather than
    deadlock); all or nothing: if one share cannot be answered, the error names its quarter and
    no answer is kept. Positions are refreshed once at the end."""
    done = []
    for allocation in sorted(answers, key=lambda a: (a.allocation_round_id, a.quarter, a.pk)):
        try:
            done.append(
                allocation_respond(
                    allocation=allocation, actor=actor, accept=answers[allocation], refresh=False
                )
            )
        except StateConflict as exc:
            raise AnswerError(
                _("%(period)s: %(problem)s Nothing was saved; please check and answer again.")
                % {"period": allocation.period, "problem": exc.message},
                allocation=allocation,
            ) from exc
    rounds = {
        a.contract.round_id: a.contract.round for a in done if a.state == AllocationState.CONFIRMED
    }
    for round in rounds.values():
        refresh_positions(round=round, actor=actor)
    return done


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
        refresh_positions(round=round, actor=None)
    return count
