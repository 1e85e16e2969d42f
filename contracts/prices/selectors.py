"""Reads of price indices, FX rates and contract prices that have rules. Every function that takes
the acting user scopes to what that user may see; anything else raises Http404, exactly like
something missing."""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from rohstoff.core.periods import Quarter
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy, pricing
from ..models import (
    SUPPLY_STATES,
    Delivery,
    FxRate,
    IndexValue,
    OfftakeContract,
    PriceIndex,
    ScheduleEntry,
)


def index_get(*, user, pk) -> PriceIndex:
    return get_visible_or_404(policy.indices_visible_to(user), pk=pk)


def latest_fx(on: datetime.date | None = None) -> dict[str, Decimal]:
    """The latest rate of each currency on or before ``on`` (units per EUR)."""
    qs = FxRate.objects.all()
    if on:
        qs = qs.filter(date__lte=on)
    rates = {}
    for currency, per_eur in qs.order_by("currency", "-date").values_list("currency", "per_eur"):
        rates.setdefault(currency, per_eur)
    return rates


class FxRates:
    """Every FX rate entered, read in one query: the rates of a day (each currency's latest on or
    before it, as on a day without a fixing) and the latest ones.

    Which rates convert a quarter (docs/pricing.md, "Which rate"): a quarter whose pricing date
    (``pricing.pricing_date``) has passed is priced and converts at the rates of that date, for
    good; an open future quarter moves with the latest rates (mark-to-market)."""

    def __init__(self, rows):
        self._dates: dict[str, list[datetime.date]] = defaultdict(list)
        self._rates: dict[str, list[Decimal]] = defaultdict(list)
        for currency, date, per_eur in rows:
            self._dates[currency].append(date)
            self._rates[currency].append(per_eur)

    @classmethod
    def load(cls) -> FxRates:
        return cls(
            FxRate.objects.order_by("currency", "date").values_list("currency", "date", "per_eur")
        )

    def latest(self) -> dict[str, Decimal]:
        return {currency: rates[-1] for currency, rates in self._rates.items()}

    def on(self, day: datetime.date) -> dict[str, Decimal]:
        result = {}
        for currency, dates in self._dates.items():
            i = bisect.bisect_right(dates, day)
            if i:
                result[currency] = self._rates[currency][i - 1]
        return result

    def for_quarter(
        self, contract, quarter: Quarter, *, today: datetime.date
    ) -> tuple[dict[str, Decimal], bool]:
        """(rates, priced): the rates that convert ``contract``'s ``quarter`` today."""
        day = pricing.pricing_date(contract, quarter)
        if day < today:
            return self.on(day), True
        return self.latest(), False


def quarter_prices(
    contract: OfftakeContract, quarters: list[int], *, today: datetime.date | None = None
) -> dict[int, pricing.QuarterPrice | pricing.MissingPrice]:
    """The contract price (or why there is none yet) for each quarter; one query for the index
    values and one for FX rates. A priced quarter converts at the rates of its pricing date, an
    open one at the latest (:class:`FxRates`)."""
    result: dict[int, pricing.QuarterPrice | pricing.MissingPrice] = {}
    if not quarters:
        return result
    today = today or timezone.localdate()
    values_by_date: list[tuple[datetime.date, Decimal]] = []
    fx = FxRates.load()
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
        per_eur, priced = fx.for_quarter(contract, quarter, today=today)
        try:
            result[q] = pricing.contract_price(
                contract, quarter, index_values=values, per_eur=per_eur, priced=priced
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


def mark_to_market(*, user, today: datetime.date | None = None) -> dict:
    """Open volume of every live contract valued at the latest index values and FX rates: per
    contract (in its currency and in EUR) and per material (in EUR). Only open future quarters
    count: a quarter whose pricing date has passed is priced and keeps its EUR value."""
    if not policy.reads_contracts(user):
        return {"contracts": [], "materials": []}
    today = today or timezone.localdate()
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
            (
                max(t - delivered[c.pk][q], Decimal(0))
                for q, t in scheduled[c.pk].items()
                if pricing.pricing_date(c, Quarter.from_index(q)) >= today
            ),
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


def fx_rate_on(currency: str, day: datetime.date) -> tuple[datetime.date, Decimal] | None:
    """The latest rate of ``currency`` on or before ``day`` with its date (units per EUR); the FX
    lookup contracts registers with rohstoff.core.money for the apps below it."""
    row = (
        FxRate.objects.filter(currency=currency, date__lte=day)
        .order_by("-date")
        .values_list("date", "per_eur")
        .first()
    )
    return tuple(row) if row else None
