"""Reads of offtake contracts that have rules. Every function takes the acting user; anything the
user may not see raises Http404, exactly like something that does not exist.

Who sees what (DESIGN.md): the trading desk reads and writes everything; the agency reads
contracts, schedules, deliveries and prices; a member firm sees only its own allocations (from
released allocation rounds) and what passes through to it; the ministry sees aggregates only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from rohstoff.core.periods import Quarter
from rohstoff.core.units import quantize_tonnes
from tradinghouse.disclosure import PartStats, primary_reason

from . import pricing
from .models import (
    SUPPLY_STATES,
    Allocation,
    AllocationRound,
    AllocationState,
    ContractDocument,
    Counterparty,
    Delivery,
    FxRate,
    IndexValue,
    OfftakeContract,
    PriceIndex,
    ScheduleEntry,
)


def _reads_contracts(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_desk or user.is_agency))


def contracts_visible_to(user) -> QuerySet[OfftakeContract]:
    if not _reads_contracts(user):
        return OfftakeContract.objects.none()
    return OfftakeContract.objects.select_related(
        "counterparty", "material", "round", "index", "project"
    )


def contract_get(*, user, pk) -> OfftakeContract:
    try:
        return contracts_visible_to(user).get(pk=pk)
    except (OfftakeContract.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def contract_book(
    *, user, state: str = "", material: str = "", counterparty: str = "", search: str = ""
):
    qs = contracts_visible_to(user).annotate(
        scheduled_t=Sum("schedule__quantity_t"),
    )
    if state:
        qs = qs.filter(state=state)
    if material:
        qs = qs.filter(material__code=material)
    if counterparty:
        qs = qs.filter(counterparty_id=counterparty) if str(counterparty).isdigit() else qs.none()
    if search:
        qs = qs.filter(
            Q(reference__icontains=search)
            | Q(counterparty__name__icontains=search)
            | Q(grade__icontains=search)
        )
    return qs.order_by("-signed_on", "reference")


def book_by_counterparty(*, user) -> list[dict]:
    """Scheduled tonnes of live contracts (signed, active) per counterparty and material."""
    if not _reads_contracts(user):
        return []
    rows = (
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__counterparty__name",
            "contract__counterparty__country",
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__counterparty__name", "contract__material__code")
    )
    return list(rows)


def book_by_country(*, user) -> list[dict]:
    """Scheduled tonnes of live contracts per country of the counterparty and material; the
    ministry may read this (an aggregate, no contract or counterparty)."""
    if not (
        user and user.is_authenticated and (user.is_desk or user.is_agency or user.is_ministry)
    ):
        return []
    rows = (
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__counterparty__country",
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__counterparty__country", "contract__material__code")
    )
    return list(rows)


def book_by_material_quarter(*, user) -> list[dict]:
    """Contracted tonnes per material and quarter over all live contracts (ministry: aggregates)."""
    if not (
        user and user.is_authenticated and (user.is_desk or user.is_agency or user.is_ministry)
    ):
        return []
    return list(
        ScheduleEntry.objects.filter(contract__state__in=SUPPLY_STATES)
        .values(
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
            "contract__material__sort_order",
            "quarter",
        )
        .annotate(tonnes=Sum("quantity_t"), contracts=Count("contract", distinct=True))
        .order_by("contract__material__sort_order", "contract__material__code", "quarter")
    )


def confirmed_allocations_by_material(*, user) -> list[dict]:
    """Confirmed tonnes allocated to member firms per material over all live contracts, for the
    offtake overview (ministry: aggregates). Allocations follow firm demand, so a total passes the
    same disclosure rule as a position cell (enough firms, no dominant firm) or is withheld: its
    ``tonnes`` and ``firms`` are then None."""
    if not (
        user and user.is_authenticated and (user.is_desk or user.is_agency or user.is_ministry)
    ):
        return []
    per_firm = (
        Allocation.objects.filter(
            state=AllocationState.CONFIRMED, contract__state__in=SUPPLY_STATES
        )
        .values_list(
            "contract__material__code",
            "contract__material__name_de",
            "contract__material__name_en",
            "organisation_id",
        )
        .annotate(tonnes=Sum("quantity_t"))
        .order_by("contract__material__code")
    )
    by_material: dict[str, dict] = {}
    for code, name_de, name_en, _org, tonnes in per_firm:
        row = by_material.setdefault(
            code,
            {
                "contract__material__code": code,
                "contract__material__name_de": name_de,
                "contract__material__name_en": name_en,
                "per_firm": [],
            },
        )
        row["per_firm"].append(tonnes)
    rows = []
    for row in by_material.values():
        per_firm_t = sorted(row.pop("per_firm"), reverse=True)
        part = PartStats(
            total=sum(per_firm_t, Decimal(0)),
            largest=per_firm_t[0],
            second=per_firm_t[1] if len(per_firm_t) > 1 else Decimal(0),
            contributors=len(per_firm_t),
        )
        disclosed = not primary_reason(
            part, min_firms=settings.DISCLOSURE_MIN_FIRMS, p=Decimal(settings.DISCLOSURE_P)
        )
        rows.append(
            {
                **row,
                "disclosed": disclosed,
                "tonnes": part.total if disclosed else None,
                "firms": part.contributors if disclosed else None,
            }
        )
    return rows


def counterparties_visible_to(user) -> QuerySet[Counterparty]:
    if not _reads_contracts(user):
        return Counterparty.objects.none()
    return Counterparty.objects.annotate(contract_count=Count("contracts"))


def counterparty_get(*, user, pk) -> Counterparty:
    try:
        return counterparties_visible_to(user).get(pk=pk)
    except (Counterparty.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def document_get(*, user, pk) -> ContractDocument:
    try:
        return ContractDocument.objects.select_related("contract").get(
            pk=pk, contract__in=contracts_visible_to(user).values("pk")
        )
    except (ContractDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def delivery_get(*, user, pk) -> Delivery:
    try:
        return Delivery.objects.select_related(
            "contract", "contract__counterparty", "contract__index"
        ).get(pk=pk, contract__in=contracts_visible_to(user).values("pk"))
    except (Delivery.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def deliveries_visible_to(user) -> QuerySet[Delivery]:
    if not _reads_contracts(user):
        return Delivery.objects.none()
    return Delivery.objects.select_related("contract", "contract__counterparty")


# ---- schedule and deliveries -----------------------------------------------------------------


def schedule_rows(contract: OfftakeContract, *, today: datetime.date | None = None) -> list[dict]:
    """Each scheduled quarter with what was delivered and its status on ``today``."""
    from .schedule import bounds, status

    today = today or timezone.localdate()
    delivered = dict(
        Delivery.objects.filter(contract=contract)
        .values("quarter")
        .annotate(t=Sum("quantity_t"))
        .values_list("quarter", "t")
    )
    rows = []
    for entry in ScheduleEntry.objects.filter(contract=contract).order_by("quarter"):
        got = delivered.get(entry.quarter) or Decimal(0)
        low, high = bounds(entry.quantity_t, contract.tolerance_pct)
        rows.append(
            {
                "entry": entry,
                "quarter": entry.quarter,
                "period": entry.period,
                "scheduled_t": entry.quantity_t,
                "delivered_t": got,
                "low_t": low,
                "high_t": high,
                "open_t": max(entry.quantity_t - got, Decimal(0)),
                "status": status(
                    entry.quarter, entry.quantity_t, got, contract.tolerance_pct, today
                ),
            }
        )
    return rows


def due_overview(*, user, today: datetime.date | None = None) -> list[dict]:
    """Scheduled quarters of live contracts that are due now, late or short on ``today``."""
    from .schedule import bounds, status

    if not _reads_contracts(user):
        return []
    today = today or timezone.localdate()
    current = pricing.quarter_of(today).index
    entries = (
        ScheduleEntry.objects.filter(
            contract__state__in=SUPPLY_STATES, quarter__lte=current, quantity_t__gt=0
        )
        .select_related("contract", "contract__counterparty", "contract__material")
        .annotate(
            delivered_t=Sum(
                "contract__deliveries__quantity_t",
                filter=Q(contract__deliveries__quarter=F("quarter")),
            )
        )
        .order_by("quarter", "contract__reference")
    )
    rows = []
    for entry in entries:
        got = entry.delivered_t or Decimal(0)
        state = status(entry.quarter, entry.quantity_t, got, entry.contract.tolerance_pct, today)
        if state in ("due", "late", "short"):
            low, _high = bounds(entry.quantity_t, entry.contract.tolerance_pct)
            rows.append(
                {
                    "entry": entry,
                    "contract": entry.contract,
                    "period": entry.period,
                    "scheduled_t": entry.quantity_t,
                    "delivered_t": got,
                    "low_t": low,
                    "missing_t": max(low - got, Decimal(0)),
                    "status": state,
                }
            )
    return rows


# ---- prices ----------------------------------------------------------------------------------


def indices_visible_to(user) -> QuerySet[PriceIndex]:
    if not _reads_contracts(user):
        return PriceIndex.objects.none()
    return PriceIndex.objects.select_related("material").annotate(last_date=Max("values__date"))


def index_get(*, user, pk) -> PriceIndex:
    try:
        return indices_visible_to(user).get(pk=pk)
    except (PriceIndex.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def fx_rates_visible_to(user) -> QuerySet[FxRate]:
    if not _reads_contracts(user):
        return FxRate.objects.none()
    return FxRate.objects.all()


def latest_fx(on: datetime.date | None = None) -> dict[str, Decimal]:
    """The latest rate of each currency on or before ``on`` (units per EUR)."""
    qs = FxRate.objects.all()
    if on:
        qs = qs.filter(date__lte=on)
    rates = {}
    for currency, per_eur in qs.order_by("currency", "-date").values_list("currency", "per_eur"):
        rates.setdefault(currency, per_eur)
    return rates


def index_values_between(index_id: int, start: datetime.date, end: datetime.date) -> list[Decimal]:
    return list(
        IndexValue.objects.filter(index_id=index_id, date__gte=start, date__lte=end).values_list(
            "value", flat=True
        )
    )


def quarter_prices(
    contract: OfftakeContract, quarters: list[int]
) -> dict[int, pricing.QuarterPrice | pricing.MissingPrice]:
    """The contract price (or why there is none yet) for each quarter; one query for the index
    values and one for FX rates."""
    result: dict[int, pricing.QuarterPrice | pricing.MissingPrice] = {}
    if not quarters:
        return result
    values_by_date: list[tuple[datetime.date, Decimal]] = []
    per_eur = latest_fx()
    if contract.pricing_type == "index" and contract.index_id:
        windows = [
            pricing.quotational_window(contract.quotational_period or "Q", Quarter.from_index(q))
            for q in quarters
        ]
        first, last = min(w[0] for w in windows), max(w[1] for w in windows)
        values_by_date = list(
            IndexValue.objects.filter(
                index_id=contract.index_id, date__gte=first, date__lte=last
            ).values_list("date", "value")
        )
    for q in quarters:
        quarter = Quarter.from_index(q)
        values = None
        if contract.pricing_type == "index":
            start, end = pricing.quotational_window(contract.quotational_period or "Q", quarter)
            values = [v for d, v in values_by_date if start <= d <= end]
        try:
            result[q] = pricing.contract_price(
                contract, quarter, index_values=values, per_eur=per_eur
            )
        except pricing.MissingPrice as exc:
            result[q] = exc
    return result


def latest_index_values(index_ids) -> dict[int, tuple[datetime.date, Decimal]]:
    latest = {}
    for index_id, date, value in (
        IndexValue.objects.filter(index_id__in=list(index_ids))
        .order_by("index_id", "-date")
        .values_list("index_id", "date", "value")
    ):
        latest.setdefault(index_id, (date, value))
    return latest


def mark_to_market(*, user) -> dict:
    """Open volume of every live contract valued at the latest index values: per contract (in
    its currency and in EUR) and per material (in EUR)."""
    if not _reads_contracts(user):
        return {"contracts": [], "materials": []}
    contracts = list(
        OfftakeContract.objects.filter(state__in=SUPPLY_STATES)
        .select_related("counterparty", "material", "index")
        .order_by("material__sort_order", "reference")
    )
    ids = [c.pk for c in contracts]
    scheduled = defaultdict(dict)
    for cid, q, t in ScheduleEntry.objects.filter(contract_id__in=ids).values_list(
        "contract_id", "quarter", "quantity_t"
    ):
        scheduled[cid][q] = t
    delivered = defaultdict(lambda: defaultdict(Decimal))
    for cid, q, t in Delivery.objects.filter(contract_id__in=ids).values_list(
        "contract_id", "quarter", "quantity_t"
    ):
        delivered[cid][q] += t
    # A fixed-price contract is valued against an index of its material (the first one by code).
    material_index = {}
    for index in PriceIndex.objects.order_by("code"):
        material_index.setdefault(index.material_id, index)
    index_by_id = {i.pk: i for i in material_index.values()}
    for c in contracts:
        if c.index_id:
            index_by_id[c.index_id] = c.index
    latest = latest_index_values(index_by_id.keys())
    per_eur = latest_fx()
    rows, by_material = [], {}
    for c in contracts:
        open_t = sum(
            (max(t - delivered[c.pk][q], Decimal(0)) for q, t in scheduled[c.pk].items()),
            Decimal(0),
        )
        index = c.index if c.index_id else material_index.get(c.material_id)
        row = {"contract": c, "open_t": open_t, "index": index, "mtm": None, "problem": ""}
        if index is None:
            row["problem"] = "no_index"
        elif index.pk not in latest:
            row["problem"] = "no_value"
        else:
            date, value = latest[index.pk]
            try:
                row["mtm"] = pricing.mark_to_market(
                    c,
                    open_t=open_t,
                    latest_index=value,
                    index_date=date,
                    index_currency=index.currency,
                    index_unit=index.unit,
                    per_eur=per_eur,
                )
            except pricing.MissingPrice as exc:
                row["problem"] = f"fx:{exc.detail}"
        rows.append(row)
        entry = by_material.setdefault(
            c.material_id,
            {
                "material": c.material,
                "open_t": Decimal(0),
                "mtm_eur": Decimal(0),
                "contracts": 0,
                "incomplete": False,
            },
        )
        entry["open_t"] += open_t
        entry["contracts"] += 1
        if row["mtm"] is not None and row["mtm"].mtm_eur is not None:
            entry["mtm_eur"] += row["mtm"].mtm_eur
        else:
            entry["incomplete"] = True
    return {"contracts": rows, "materials": list(by_material.values()), "fx": per_eur}


# ---- allocations -----------------------------------------------------------------------------


def allocations_visible_to(user) -> QuerySet[Allocation]:
    """Desk: every allocation, drafts included. Member: its own firm's released ones. Everyone
    else none: a firm's share and its remaining firm demand are that firm's forward demand, which
    only the trading house (as trustee) and the firm itself see; the agency reads the quarter
    totals of an allocation (``allocation_summary``)."""
    qs = Allocation.objects.select_related(
        "contract", "contract__material", "allocation_round", "organisation"
    )
    if not (user and user.is_authenticated):
        return qs.none()
    if user.is_desk:
        return qs
    if user.is_member and user.organisation_id:
        return qs.filter(
            organisation_id=user.organisation_id,
            allocation_round__state__in=AllocationRound.RELEASED_STATES,
        )
    return qs.none()


def allocation_get(*, user, pk) -> Allocation:
    try:
        return allocations_visible_to(user).get(pk=pk)
    except (Allocation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


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


def explanation_for(user, allocation: Allocation) -> dict:
    """How a share was computed, as the user may see it. A member gets its own numbers and the
    fill rate of its demand, never the pool's total, the number of firms or the volume shared."""
    explanation = allocation.explanation or {}
    if user.is_desk or user.is_agency:
        return explanation

    def own(entry: dict) -> dict:
        data = {k: v for k, v in entry.items() if k not in POOL_FIELDS}
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
    return result


def allocation_round_get(*, user, pk) -> AllocationRound:
    if not _reads_contracts(user):
        raise Http404
    try:
        return AllocationRound.objects.select_related("contract").get(pk=pk)
    except (AllocationRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def member_allocations(*, user) -> QuerySet[Allocation]:
    """A member firm's own allocations, newest contract first, with the price basis."""
    return (
        allocations_visible_to(user)
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
    per_eur = latest_fx()
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
        try:
            price = pricing.contract_price(c, a.period, index_values=values, per_eur=per_eur)
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
    """Per quarter of a draft or released allocation: scheduled, allocated, surplus, firms."""
    rows = (
        Allocation.objects.filter(allocation_round=allocation_round)
        .values("quarter")
        .annotate(
            allocated_t=Sum("quantity_t", filter=~Q(state=AllocationState.DECLINED)),
            declined_t=Sum("quantity_t", filter=Q(state=AllocationState.DECLINED)),
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
    for quarter, sched in sorted(scheduled.items()):
        row = by_quarter.get(quarter) or {
            "quarter": quarter,
            "requested_t": Decimal(0),
            "firms": 0,
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
                "declined_t": row.get("declined_t") or Decimal(0),
                "confirmed_t": row.get("confirmed_t") or Decimal(0),
            }
        )
    return out
