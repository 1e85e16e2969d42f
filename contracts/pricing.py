"""Contract prices: the pricing rule per quarter, units, FX, back-to-back prices, mark-to-market.

Pure functions on Decimals; the caller passes the index values and FX rates it read. Prices carry
a currency and a unit (per t or per kg of the material's form). Money is kept at 4 decimal places,
rounded half to even.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from rohstoff.core.periods import Quarter

MONEY_PLACES = Decimal("0.0001")
KG_PER_T = Decimal(1000)
# Enough significant digits for a quantity (22) times a price (20) times 1,000 with 4 places:
# Python's default of 28 would round a large amount silently or fail to quantize it.
PRECISION = 64


def money(value: Decimal) -> Decimal:
    with localcontext(prec=PRECISION):
        return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)


def quarter_dates(quarter: Quarter) -> tuple[datetime.date, datetime.date]:
    first_month = (quarter.quarter - 1) * 3 + 1
    start = datetime.date(quarter.year, first_month, 1)
    end = quarter + 1
    end_date = datetime.date(end.year, (end.quarter - 1) * 3 + 1, 1) - datetime.timedelta(days=1)
    return start, end_date


def quarter_of(date: datetime.date) -> Quarter:
    return Quarter(date.year, (date.month - 1) // 3 + 1)


def quotational_window(period_code: str, quarter: Quarter) -> tuple[datetime.date, datetime.date]:
    """The dates whose index values make the price of deliveries in ``quarter``."""
    if period_code == "Q-1":
        return quarter_dates(quarter + -1)
    if period_code == "M-1":
        start, _end = quarter_dates(quarter)
        last = start - datetime.timedelta(days=1)
        return last.replace(day=1), last
    return quarter_dates(quarter)


def pricing_date(contract, quarter: Quarter) -> datetime.date:
    """The day a quarter's price is set, whose FX rate converts it for good: the last day of its
    quotational period for an index price, the end of the delivery quarter (its last delivery
    day) for a fixed price. Until then the quarter is open and moves with the latest rate."""
    if contract.pricing_type == "fixed":
        return quarter_dates(quarter)[1]
    return quotational_window(contract.quotational_period or "Q", quarter)[1]


def convert_unit(price: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """A price per ``from_unit`` expressed per ``to_unit`` (t or kg)."""
    if from_unit == to_unit:
        return price
    if from_unit == "kg" and to_unit == "t":
        return price * KG_PER_T
    if from_unit == "t" and to_unit == "kg":
        return price / KG_PER_T
    raise ValueError(f"unknown price units {from_unit!r} -> {to_unit!r}")


def convert_currency(
    amount: Decimal, from_ccy: str, to_ccy: str, per_eur: dict[str, Decimal]
) -> Decimal:
    """``amount`` in ``to_ccy`` with rates quoted as units per one euro (ECB convention)."""
    if from_ccy == to_ccy:
        return amount
    rate_from = Decimal(1) if from_ccy == "EUR" else per_eur.get(from_ccy)
    rate_to = Decimal(1) if to_ccy == "EUR" else per_eur.get(to_ccy)
    if rate_from is None or rate_to is None:
        missing = from_ccy if rate_from is None else to_ccy
        raise MissingPrice("fx", missing)
    return amount / rate_from * rate_to


class MissingPrice(Exception):
    """A price cannot be computed: no index values in the quotational period, or no FX rate."""

    def __init__(self, what: str, detail: str = ""):
        super().__init__(f"{what}: {detail}")
        self.what = what
        self.detail = detail


@dataclass(frozen=True)
class QuarterPrice:
    quarter: Quarter
    price: Decimal  # in the contract currency per contract price unit, 4 dp
    currency: str
    unit: str
    basis: str  # "fixed", "index", "floor", "cap"
    index_average: Decimal | None = None  # in the contract currency and unit, before premium
    index_values: int = 0
    window: tuple[datetime.date, datetime.date] | None = None
    # The price in EUR per contract unit: at the FX rate of ``pricing_date`` once the quarter is
    # priced (and kept), at the latest rate while it is open; None without a rate.
    price_eur: Decimal | None = None
    pricing_date: datetime.date | None = None
    priced: bool = False


def clamp(price: Decimal, floor: Decimal | None, cap: Decimal | None) -> tuple[Decimal, str | None]:
    if floor is not None and price < floor:
        return floor, "floor"
    if cap is not None and price > cap:
        return cap, "cap"
    return price, None


def index_price(
    *, index_value: Decimal, index_currency: str, index_unit: str, contract, per_eur: dict
) -> Decimal:
    """An index value converted into the contract's currency and price unit."""
    value = convert_unit(index_value, index_unit, contract.price_unit)
    return convert_currency(value, index_currency, contract.currency, per_eur)


def contract_price(
    contract,
    quarter: Quarter,
    *,
    index_values: list[Decimal] | None = None,
    per_eur: dict | None = None,
    priced: bool = False,
) -> QuarterPrice:
    """The contract price for deliveries in ``quarter``.

    Fixed: the fixed price. Index-linked: the average of the index values in the quotational
    period (converted into the contract's currency and unit), plus the premium (a discount is a
    negative premium), then held between floor and cap.

    ``per_eur`` are the rates to convert with: those of the quarter's pricing date once it has
    passed (``priced``), else the latest (``prices.selectors.fx_for_quarters`` chooses).
    """
    per_eur = per_eur or {}
    dated = {"pricing_date": pricing_date(contract, quarter), "priced": priced}
    if contract.pricing_type == "fixed":
        if contract.fixed_price is None:
            raise MissingPrice("fixed_price")
        price = money(contract.fixed_price)
        return QuarterPrice(
            quarter,
            price,
            contract.currency,
            contract.price_unit,
            "fixed",
            price_eur=_in_eur(price, contract.currency, per_eur),
            **dated,
        )
    window = quotational_window(contract.quotational_period or "Q", quarter)
    if not index_values:
        raise MissingPrice("index", f"{window[0]}..{window[1]}")
    index = contract.index
    average = sum(index_values, Decimal(0)) / len(index_values)
    converted = index_price(
        index_value=average,
        index_currency=index.currency,
        index_unit=index.unit,
        contract=contract,
        per_eur=per_eur,
    )
    price, bound = clamp(converted + contract.premium, contract.floor, contract.cap)
    price = money(price)
    return QuarterPrice(
        quarter,
        price,
        contract.currency,
        contract.price_unit,
        bound or "index",
        index_average=money(converted),
        index_values=len(index_values),
        window=window,
        price_eur=_in_eur(price, contract.currency, per_eur),
        **dated,
    )


def _in_eur(price: Decimal, currency: str, per_eur: dict) -> Decimal | None:
    try:
        return money(convert_currency(price, currency, "EUR", per_eur))
    except MissingPrice:
        return None


def landed_price_eur(
    terms,
    quarter: Quarter,
    *,
    index_values: list[Decimal] | None = None,
    per_eur: dict | None = None,
    freight_eur_t: Decimal = Decimal(0),
) -> Decimal:
    """A supplier's offer priced like a contract, as EUR per tonne landed, for the matching
    engine (docs/matching.md, "Landed price").

    ``terms`` carries the same pricing fields as a contract (``pricing_type``, ``fixed_price``,
    ``currency``, ``price_unit``, ``quotational_period``, ``index``, ``premium``, ``floor``,
    ``cap``); the price is the contract rule's (``contract_price``), per tonne, converted at
    ``per_eur``, plus ``freight_eur_t``: what the caller adds to bring the goods from the offer's
    Incoterm place to the delivery point (zero for delivered terms). Raises ``MissingPrice``
    without an index value or FX rate."""
    if freight_eur_t < 0:
        raise ValueError("freight cannot be negative")
    per_eur = per_eur or {}
    price = contract_price(terms, quarter, index_values=index_values, per_eur=per_eur)
    with localcontext(prec=PRECISION):
        per_t = convert_unit(price.price, price.unit, "t")
        return money(convert_currency(per_t, price.currency, "EUR", per_eur) + freight_eur_t)


def back_to_back(price: Decimal, *, fee_type: str, fee_value: Decimal) -> Decimal:
    """The price to members: the contract price plus the house's fee as the contract states it
    (an amount per price unit, or a percentage of the contract price)."""
    with localcontext(prec=PRECISION):
        if fee_type == "percent":
            return money(price * (1 + fee_value / 100))
        return money(price + fee_value)


def amount(quantity_t: Decimal, price: Decimal, unit: str) -> Decimal:
    """Money for ``quantity_t`` tonnes at ``price`` per ``unit``."""
    with localcontext(prec=PRECISION):
        return money(quantity_t * convert_unit(price, unit, "t"))


def delivery_amounts(delivery, price_unit: str) -> dict[str, Decimal | None]:
    """The invoices of a delivery in the contract currency: provisional (quantity x provisional
    price x provisional share), final (quantity x final price) and the difference the final
    invoice settles; None where a price is missing."""
    with localcontext(prec=PRECISION):
        return _delivery_amounts(delivery, price_unit)


def _delivery_amounts(delivery, price_unit: str) -> dict[str, Decimal | None]:
    provisional = final = difference = None
    if delivery.provisional_price is not None:
        provisional = money(
            amount(delivery.quantity_t, delivery.provisional_price, price_unit)
            * delivery.provisional_pct
            / 100
        )
    if delivery.final_price is not None:
        final = amount(delivery.quantity_t, delivery.final_price, price_unit)
        if provisional is not None:
            difference = final - provisional
    return {"provisional": provisional, "final": final, "difference": difference}


@dataclass(frozen=True)
class MarkToMarket:
    open_t: Decimal
    contract_price: Decimal  # per contract unit, contract currency
    market_price: Decimal  # the latest index value, in contract currency and unit
    contract_value: Decimal
    market_value: Decimal
    mtm: Decimal  # market_value - contract_value: positive when the offtake is cheaper than the market
    currency: str
    mtm_eur: Decimal | None
    index_date: datetime.date | None


def mark_to_market(
    contract,
    *,
    open_t: Decimal,
    latest_index: Decimal,
    index_date,
    index_currency: str,
    index_unit: str,
    per_eur: dict,
) -> MarkToMarket:
    """Value of the open volume at the latest index value against what the contract would cost
    at that value (fixed price, or index + premium within floor and cap)."""
    market = index_price(
        index_value=latest_index,
        index_currency=index_currency,
        index_unit=index_unit,
        contract=contract,
        per_eur=per_eur,
    )
    if contract.pricing_type == "fixed":
        own = contract.fixed_price or Decimal(0)
    else:
        own, _bound = clamp(market + contract.premium, contract.floor, contract.cap)
    contract_value = amount(open_t, own, contract.price_unit)
    market_value = amount(open_t, market, contract.price_unit)
    mtm = market_value - contract_value
    try:
        mtm_eur = money(convert_currency(mtm, contract.currency, "EUR", per_eur))
    except MissingPrice:
        mtm_eur = None
    return MarkToMarket(
        open_t=open_t,
        contract_price=money(own),
        market_price=money(market),
        contract_value=contract_value,
        market_value=market_value,
        mtm=money(mtm),
        currency=contract.currency,
        mtm_eur=mtm_eur,
        index_date=index_date,
    )
