"""Reads of allocation of a contract's volume to the member firms that have rules. Every function
that takes the acting user scopes to what that user may see; anything else raises Http404, exactly
like something missing."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language

from rohstoff.core.periods import Quarter
from rohstoff.core.shortcuts import get_visible_or_404
from rohstoff.core.units import quantize_tonnes

from .. import policy, pricing
from ..models import (
    Allocation,
    AllocationRound,
    AllocationState,
    Delivery,
    IndexValue,
    ScheduleEntry,
)
from ..prices.selectors import FxRates


def allocation_get(*, user, pk) -> Allocation:
    return get_visible_or_404(policy.allocations_visible_to(user), pk=pk)


# What only the trading desk may read in an explanation: the pooled remaining firm demand of all
# firms, their number, and every figure that gives them back. The volume that was shared (the
# contract's quarter, or another firm's declined share) is one: with it, the member's own pro-rata
# ratio would give the pool's total (volume / ratio), and with two firms the other firm's demand.
POOL_FIELDS = (
    "total_remaining_demand_t",
    "firms",
    "unallocated_t",
    "volume_t",
    "lots_available",
    "from_declined_t",
)


# What a member may not read where the firm part of its share's position cell is hidden from it:
# every figure of the pro-rata step is a function of the pooled firm demand (the exact share is
# volume x own demand / pooled demand, so the fill rate is volume / pooled demand, and with the
# cell's contracted tonnes it gives the hidden pool back). The firm keeps its own demand, its cap
# and its share (docs/allocation.md, "What a firm sees of its share").
POOL_DERIVED_FIELDS = ("method", "pro_rata_lots", "base_lots", "extra_lots", "fill_pct")


def firm_part_hidden(user, allocations) -> set[tuple[int, int, int]]:
    """(round id, material id, quarter) of the allocations whose position cell, in the round's
    current positions, shows this user no firm part (the cell is hidden, or its firm/indicative
    split is). Decided by tradinghouse's disclosure (``present_cell``), the one place that turns a
    stored cell into what a reader sees. Two queries whatever the number of allocations."""
    if policy.reads_pooled_demand(user):
        return set()
    from tradinghouse.disclosure import present_cell
    from tradinghouse.models import PositionCell, PositionSet

    keys = {(a.contract.round_id, a.contract.material_id, a.quarter) for a in allocations}
    if not keys:
        return set()
    sets = dict(
        PositionSet.objects.filter(
            round_id__in={r for r, _m, _q in keys}, is_current=True
        ).values_list("pk", "round_id")
    )
    shown = set()
    for cell in PositionCell.objects.filter(
        position_set_id__in=list(sets),
        material_id__in={m for _r, m, _q in keys},
        quarter__in={q for _r, _m, q in keys},
    ).select_related("material"):
        if present_cell(cell, trustee=False).demand_firm_t is not None:
            shown.add((sets[cell.position_set_id], cell.material_id, cell.quarter))
    return keys - shown


def explanation_for(user, allocation: Allocation, *, hidden: set | None = None) -> dict:
    """How a share was computed, as the user may see it. A member gets its own numbers and the
    fill rate of its demand, never the pool's total, the number of firms or the volume shared;
    where the firm part of its position cell is hidden from it, not the pro-rata step either
    (``withheld``). ``hidden``: :func:`firm_part_hidden` of the allocations, when the caller has
    it already."""
    explanation = allocation.explanation or {}
    if policy.reads_pooled_demand(user):
        return explanation
    if hidden is None:
        hidden = firm_part_hidden(user, [allocation])
    withheld = (
        allocation.contract.round_id,
        allocation.contract.material_id,
        allocation.quarter,
    ) in hidden

    def own(entry: dict) -> dict:
        data = {k: v for k, v in entry.items() if k not in POOL_FIELDS}
        if withheld:
            return {k: v for k, v in data.items() if k not in POOL_DERIVED_FIELDS}
        try:
            demand = Decimal(entry["remaining_demand_t"])
            exact = Decimal(entry["pro_rata_lots"]) * Decimal(entry["lot_t"])
            data["fill_pct"] = (
                str((exact / demand * 100).quantize(Decimal("0.1"))) if demand else None
            )
        except (KeyError, ArithmeticError, ValueError):
            data["fill_pct"] = None
        return data

    result = own(explanation)
    result["redistributed"] = [own(r) for r in explanation.get("redistributed", [])]
    result["withheld"] = withheld
    return result


def allocation_round_get(*, user, pk) -> AllocationRound:
    return get_visible_or_404(
        policy.allocation_rounds_visible_to(user).select_related("contract"), pk=pk
    )


def member_allocations(*, user) -> QuerySet[Allocation]:
    """A member firm's own allocations, newest contract first, with the price basis."""
    return (
        policy.allocations_visible_to(user)
        .select_related("contract__index", "contract__counterparty")
        .order_by("-allocation_round__released_at", "contract__reference", "quarter")
    )


def pass_through(allocations: list[Allocation]) -> dict[int, dict]:
    """For each allocation: its share of the quarter's deliveries (in proportion to its share of
    the scheduled volume, so no other firm's share can be read from it), and the contract and
    back-to-back price of its quarter. Four queries whatever the number of allocations."""
    if not allocations:
        return {}
    keys = {(a.contract_id, a.quarter) for a in allocations}
    contract_ids = {c for c, _q in keys}
    quarters = {q for _c, q in keys}
    scheduled = {
        (c, q): t
        for c, q, t in ScheduleEntry.objects.filter(
            contract_id__in=contract_ids, quarter__in=quarters
        ).values_list("contract_id", "quarter", "quantity_t")
    }
    deliveries = defaultdict(list)
    for d in Delivery.objects.filter(contract_id__in=contract_ids, quarter__in=quarters).order_by(
        "delivered_on", "pk"
    ):
        deliveries[(d.contract_id, d.quarter)].append(d)
    fx = FxRates.load()
    today = timezone.localdate()
    index_ids = {a.contract.index_id for a in allocations if a.contract.index_id}
    values_by_index = defaultdict(list)
    if index_ids:
        windows = [
            pricing.quotational_window(a.contract.quotational_period or "Q", a.period)
            for a in allocations
            if a.contract.index_id
        ]
        first, last = min(w[0] for w in windows), max(w[1] for w in windows)
        for index_id, date, value in IndexValue.objects.filter(
            index_id__in=index_ids, date__gte=first, date__lte=last
        ).values_list("index_id", "date", "value"):
            values_by_index[index_id].append((date, value))
    result = {}
    for a in allocations:
        c = a.contract
        sched = scheduled.get((a.contract_id, a.quarter)) or Decimal(0)
        ratio = (a.quantity_t / sched) if sched else Decimal(0)
        passed = []
        for d in deliveries.get((a.contract_id, a.quarter), []):
            passed.append(
                {
                    "delivery": d,
                    "date": d.delivered_on,
                    "share_t": quantize_tonnes(d.quantity_t * ratio),
                    "assay": d.assay,
                    "invoice_state": d.invoice_state,
                }
            )
        values = None
        if c.pricing_type == "index" and c.index_id:
            start, end = pricing.quotational_window(c.quotational_period or "Q", a.period)
            values = [v for dt, v in values_by_index[c.index_id] if start <= dt <= end]
        per_eur, priced = fx.for_quarter(c, a.period, today=today)
        try:
            price = pricing.contract_price(
                c, a.period, index_values=values, per_eur=per_eur, priced=priced
            )
            b2b = pricing.back_to_back(price.price, fee_type=c.fee_type, fee_value=c.fee_value)
        except pricing.MissingPrice:
            price, b2b = None, None
        delivered_share = sum((p["share_t"] for p in passed), Decimal(0))
        result[a.pk] = {
            "deliveries": passed,
            "delivered_t": delivered_share,
            "price": price,
            "b2b_price": b2b,
            "b2b_amount": pricing.amount(a.quantity_t, b2b, c.price_unit)
            if b2b is not None
            else None,
            "delivered_pct": (delivered_share / a.quantity_t * 100).quantize(Decimal("0.1"))
            if a.quantity_t
            else None,
        }
    return result


def allocation_summary(allocation_round: AllocationRound) -> list[dict]:
    """Per quarter of a draft or released allocation: scheduled, allocated, surplus, firms. A
    quarter the schedule no longer has (set to zero after the release, its shares all declined
    or empty) keeps its row with nothing scheduled, so that no share is ever out of sight."""
    rows = (
        Allocation.objects.filter(allocation_round=allocation_round)
        .values("quarter")
        .annotate(
            allocated_t=Sum("quantity_t", filter=~Q(state=AllocationState.DECLINED)),
            # Firms, not tonnes: a declined share passes to firms still answering, who may
            # decline it again, so a sum of declined shares counts those tonnes twice.
            declined=Count("pk", filter=Q(state=AllocationState.DECLINED)),
            confirmed_t=Sum("quantity_t", filter=Q(state=AllocationState.CONFIRMED)),
            requested_t=Sum("requested_t"),
            firms=Count("pk"),
            pending=Count("pk", filter=Q(state=AllocationState.PROPOSED)),
        )
        .order_by("quarter")
    )
    scheduled = dict(
        ScheduleEntry.objects.filter(
            contract_id=allocation_round.contract_id, quantity_t__gt=0
        ).values_list("quarter", "quantity_t")
    )
    by_quarter = {row["quarter"]: row for row in rows}
    out = []
    for quarter in sorted(scheduled.keys() | by_quarter.keys()):
        sched = scheduled.get(quarter, Decimal(0))
        row = by_quarter.get(quarter) or {
            "quarter": quarter,
            "requested_t": Decimal(0),
            "firms": 0,
            "declined": 0,
            "pending": 0,
        }
        allocated = row.get("allocated_t") or Decimal(0)
        out.append(
            {
                **row,
                "period": Quarter.from_index(quarter),
                "scheduled_t": sched,
                "allocated_t": allocated,
                "surplus_t": sched - allocated,
                "confirmed_t": row.get("confirmed_t") or Decimal(0),
            }
        )
    return out


def allocation_totals(allocation_round: AllocationRound, summary: list[dict]) -> dict:
    """The foot of the quarters' table: the tonnes of :func:`allocation_summary`'s quarters
    summed, and the firms counted once each (a firm has a share in every quarter: summing the
    quarters' counts would count it again for each)."""
    keys = ("scheduled_t", "allocated_t", "surplus_t", "confirmed_t")
    totals = {key: sum((row[key] for row in summary), Decimal(0)) for key in keys}
    totals.update(
        Allocation.objects.filter(allocation_round=allocation_round).aggregate(
            firms=Count("organisation", distinct=True),
            declined=Count("organisation", distinct=True, filter=Q(state=AllocationState.DECLINED)),
            pending=Count("organisation", distinct=True, filter=Q(state=AllocationState.PROPOSED)),
        )
    )
    return totals


# The desk's allocation page shows one quarter's shares at a time, a page of firms at a time: a
# national round has 5,000 firms in each of 20 quarters (docs/allocation.md, "The desk's page").
SHARES_PAGE_SIZE = 50
FIRM_SEARCH_MAX_LENGTH = 200


def quarter_shares(*, user, allocation_round: AllocationRound, quarter: int, firm: str = ""):
    """One quarter's shares of ``allocation_round`` that ``user`` may see, by firm name (ties:
    organisation id); with ``firm``, those of the firms whose name contains it."""
    shares = (
        policy.allocations_visible_to(user)
        .filter(allocation_round=allocation_round, quarter=quarter)
        .order_by("organisation__name", "organisation_id")
    )
    if firm:
        shares = shares.filter(organisation__name__icontains=firm[:FIRM_SEARCH_MAX_LENGTH])
    return shares


def share_page_number(allocation: Allocation) -> int:
    """The page of :func:`quarter_shares` (no firm filter) on which ``allocation`` stands: where
    the desk goes back to after changing it. One count over the quarter's shares."""
    name = allocation.organisation.name
    before = Allocation.objects.filter(
        Q(organisation__name__lt=name)
        | Q(organisation__name=name, organisation_id__lt=allocation.organisation_id),
        allocation_round_id=allocation.allocation_round_id,
        quarter=allocation.quarter,
    ).count()
    return before // SHARES_PAGE_SIZE + 1


def answerable(allocation: Allocation, *, now=None) -> bool:
    """The firm may still answer this share: proposed, its round released and the deadline not
    passed (the service checks the same again under lock)."""
    respond_by = allocation.allocation_round.respond_by
    return (
        allocation.state == AllocationState.PROPOSED
        and allocation.allocation_round.state == AllocationRound.State.RELEASED
        and (respond_by is None or respond_by > (now or timezone.now()))
    )


def member_round_shares(*, user, pk) -> list[Allocation]:
    """The member firm's shares of one released allocation round (one contract), in quarter
    order; Http404 if it has none there, exactly like a round that does not exist."""
    from django.http import Http404

    shares = list(
        policy.allocations_visible_to(user)
        .filter(allocation_round_id=pk)
        .select_related("contract__counterparty", "contract__round")
        .order_by("quarter")
    )
    if not shares:
        raise Http404
    return shares


def open_rounds(*, user) -> list[dict]:
    """Every allocation round (contract) in which the member firm still has shares to answer,
    earliest deadline first: the round's id, the contract's reference and material, the deadline,
    the number of open shares and their tonnes. One query."""
    german = (get_language() or "de").startswith("de")
    rows = (
        policy.allocations_visible_to(user)
        .filter(
            state=AllocationState.PROPOSED,
            allocation_round__state=AllocationRound.State.RELEASED,
        )
        .filter(
            Q(allocation_round__respond_by__isnull=True)
            | Q(allocation_round__respond_by__gt=timezone.now())
        )
        .values(
            "allocation_round_id",
            "contract__reference",
            "contract__material__name_de",
            "contract__material__name_en",
            "allocation_round__respond_by",
        )
        .annotate(open=Count("pk"), open_t=Sum("quantity_t"))
        .order_by("allocation_round__respond_by", "allocation_round_id")
    )
    return [
        {
            "allocation_round": row["allocation_round_id"],
            "reference": row["contract__reference"],
            "material": row[
                "contract__material__name_de" if german else "contract__material__name_en"
            ],
            "respond_by": row["allocation_round__respond_by"],
            "open": row["open"],
            "open_t": row["open_t"],
        }
        for row in rows
    ]
