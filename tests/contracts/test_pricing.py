"""Contract prices per quarter: fixed, index with premium, floor and cap, units, FX, back-to-back,
mark-to-market."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from contracts import pricing
from rohstoff.core.periods import Quarter

D = Decimal
Q = Quarter(2027, 2)


def contract(**terms):
    base = {
        "pricing_type": "index",
        "fixed_price": None,
        "currency": "USD",
        "price_unit": "t",
        "quotational_period": "Q",
        "premium": D("0"),
        "floor": None,
        "cap": None,
        "fee_type": "percent",
        "fee_value": D("0"),
        "index": SimpleNamespace(currency="USD", unit="t"),
    }
    base.update(terms)
    return SimpleNamespace(**base)


def test_fixed_price():
    price = pricing.contract_price(contract(pricing_type="fixed", fixed_price=D("11800")), Q)
    assert (price.price, price.basis) == (D("11800.0000"), "fixed")


def test_index_average_plus_premium():
    price = pricing.contract_price(
        contract(premium=D("500")), Q, index_values=[D("12000"), D("12600"), D("12300")]
    )
    assert price.index_average == D("12300.0000")
    assert (price.price, price.basis, price.index_values) == (D("12800.0000"), "index", 3)


def test_discount_is_a_negative_premium():
    price = pricing.contract_price(contract(premium=D("-250")), Q, index_values=[D("10000")])
    assert price.price == D("9750.0000")


def test_floor_binds():
    price = pricing.contract_price(
        contract(premium=D("500"), floor=D("9000"), cap=D("30000")), Q, index_values=[D("8000")]
    )
    assert (price.price, price.basis) == (D("9000.0000"), "floor")


def test_cap_binds():
    price = pricing.contract_price(
        contract(premium=D("500"), floor=D("9000"), cap=D("12000")), Q, index_values=[D("12000")]
    )
    assert (price.price, price.basis) == (D("12000.0000"), "cap")


def test_index_per_kg_priced_per_tonne_and_in_another_currency():
    # Index 11.50 USD/kg = 11,500 USD/t; contract in EUR at 1 EUR = 1.15 USD -> 10,000 EUR/t, + 100.
    c = contract(currency="EUR", premium=D("100"), index=SimpleNamespace(currency="USD", unit="kg"))
    price = pricing.contract_price(c, Q, index_values=[D("11.50")], per_eur={"USD": D("1.15")})
    assert price.price == D("10100.0000")


def test_contract_per_kg_from_index_per_tonne():
    c = contract(price_unit="kg", index=SimpleNamespace(currency="USD", unit="t"))
    assert pricing.contract_price(c, Q, index_values=[D("68000")]).price == D("68.0000")


def test_missing_values_or_rate_say_so():
    with pytest.raises(pricing.MissingPrice) as missing:
        pricing.contract_price(contract(), Q, index_values=[])
    assert missing.value.what == "index"
    with pytest.raises(pricing.MissingPrice) as missing:
        pricing.contract_price(contract(currency="EUR"), Q, index_values=[D("1")], per_eur={})
    assert missing.value.what == "fx"


def test_quotational_periods():
    assert pricing.quotational_window("Q", Q) == (
        datetime.date(2027, 4, 1),
        datetime.date(2027, 6, 30),
    )
    assert pricing.quotational_window("Q-1", Q) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 3, 31),
    )
    assert pricing.quotational_window("M-1", Q) == (
        datetime.date(2027, 3, 1),
        datetime.date(2027, 3, 31),
    )
    assert pricing.quotational_window("M-1", Quarter(2027, 1)) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 31),
    )


def test_back_to_back_adds_the_house_fee():
    assert pricing.back_to_back(D("12000"), fee_type="percent", fee_value=D("1.5")) == D(
        "12180.0000"
    )
    assert pricing.back_to_back(D("12000"), fee_type="per_unit", fee_value=D("150")) == D(
        "12150.0000"
    )


def test_amount_converts_kg_prices():
    assert pricing.amount(D("2.5"), D("68"), "kg") == D("170000.0000")
    assert pricing.amount(D("2.5"), D("12000"), "t") == D("30000.0000")


def test_mark_to_market_fixed_price_against_the_market():
    # 50 t open at a fixed 11,000 USD/t; the market is 12,000: the offtake saves 50,000 USD,
    # which is 50,000 / 1.25 = 40,000 EUR.
    c = contract(pricing_type="fixed", fixed_price=D("11000"))
    mtm = pricing.mark_to_market(
        c,
        open_t=D("50"),
        latest_index=D("12"),
        index_date=datetime.date(2026, 11, 2),
        index_currency="USD",
        index_unit="kg",
        per_eur={"USD": D("1.25")},
    )
    assert (mtm.market_price, mtm.contract_price, mtm.mtm, mtm.mtm_eur) == (
        D("12000.0000"),
        D("11000.0000"),
        D("50000.0000"),
        D("40000.0000"),
    )


def test_mark_to_market_index_contract_only_differs_by_premium_and_bounds():
    c = contract(premium=D("-200"), cap=D("11500"))
    mtm = pricing.mark_to_market(
        c,
        open_t=D("10"),
        latest_index=D("12000"),
        index_date=None,
        index_currency="USD",
        index_unit="t",
        per_eur={},
    )
    # index + premium = 11,800, capped at 11,500: 500 a tonne below the market.
    assert mtm.contract_price == D("11500.0000")
    assert mtm.mtm == D("5000.0000")
    assert mtm.mtm_eur is None  # no USD rate entered
