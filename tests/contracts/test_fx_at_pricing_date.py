"""A priced quarter converts at the FX rate of its pricing date and keeps it; open future quarters
move with the latest rate, and only they are marked to market (docs/pricing.md, "Which rate")."""

import datetime
from decimal import Decimal

import pytest

from contracts import pricing
from contracts.models import FxRate, IndexValue, PriceIndex
from contracts.prices import selectors as price_selectors
from rohstoff.core.periods import Quarter

D = Decimal
TODAY = datetime.date(2026, 12, 1)
PRICED = Quarter(2026, 2)  # pricing date 2026-06-30 (fixed) or 2026-03-31 (index, QP Q-1)
OPEN = Quarter(2027, 1)  # pricing date 2027-03-31 (fixed) or 2026-12-31 (index, QP Q-1)


@pytest.fixture
def rate(desk):
    def add(day, per_eur, currency="USD"):
        FxRate.objects.update_or_create(
            currency=currency, date=day, defaults={"per_eur": D(per_eur), "entered_by": desk}
        )

    return add


def test_pricing_dates():
    fixed = type("C", (), {"pricing_type": "fixed", "quotational_period": ""})()
    index = type("C", (), {"pricing_type": "index", "quotational_period": "Q-1"})()
    assert pricing.pricing_date(fixed, PRICED) == datetime.date(2026, 6, 30)
    assert pricing.pricing_date(index, PRICED) == datetime.date(2026, 3, 31)
    assert pricing.pricing_date(index, OPEN) == datetime.date(2026, 12, 31)


def test_a_priced_fixed_price_quarter_keeps_its_eur_when_the_rate_moves(make_contract, rate):
    contract = make_contract(
        currency="USD", fixed_price=D("11000"), start_quarter=Quarter(2026, 1).index
    )
    rate(datetime.date(2026, 6, 26), "1.10")  # the last rate on or before 2026-06-30 (a Tuesday)
    rate(datetime.date(2026, 11, 2), "1.25")
    quarters = [PRICED.index, OPEN.index]
    before = price_selectors.quarter_prices(contract, quarters, today=TODAY)
    assert before[PRICED.index].priced and not before[OPEN.index].priced
    assert before[PRICED.index].price_eur == D("10000.0000")  # 11,000 USD / 1.10
    assert before[OPEN.index].price_eur == D("8800.0000")  # 11,000 USD / 1.25, the latest
    rate(datetime.date(2026, 11, 30), "1.375")
    # A rate of 2026-06-29 entered late: the last before the pricing date, so it is the rate of
    # the pricing date now (a correction of that day's fixing, not a market move).
    rate(datetime.date(2026, 6, 29), "1.00")
    after = price_selectors.quarter_prices(contract, quarters, today=TODAY)
    assert after[PRICED.index].price_eur == D("11000.0000")
    assert after[OPEN.index].price_eur == D("8000.0000")  # moves with the latest rate
    rate(datetime.date(2026, 7, 1), "2.00")  # after the pricing date: changes nothing priced
    assert price_selectors.quarter_prices(contract, quarters, today=TODAY)[
        PRICED.index
    ].price_eur == D("11000.0000")


def test_an_index_quarter_converts_at_the_end_of_its_quotational_period(
    make_contract, rate, desk, lioh
):
    index = PriceIndex.objects.create(
        code="lioh-usd",
        name="LiOH CIF Asia",
        provider="Test",
        material=lioh,
        currency="USD",
        unit="t",
    )
    for day, value in (
        (datetime.date(2026, 2, 10), "10800"),
        (datetime.date(2026, 3, 20), "11200"),
    ):
        IndexValue.objects.create(index=index, date=day, value=D(value), entered_by=desk)
    IndexValue.objects.create(
        index=index, date=datetime.date(2026, 11, 5), value=D("13200"), entered_by=desk
    )
    contract = make_contract(
        currency="EUR",
        pricing_type="index",
        fixed_price=None,
        index=index,
        quotational_period="Q-1",
        start_quarter=Quarter(2026, 1).index,
    )
    rate(datetime.date(2026, 3, 31), "1.10")
    rate(datetime.date(2026, 11, 30), "1.20")
    prices = price_selectors.quarter_prices(contract, [PRICED.index, OPEN.index], today=TODAY)
    # Q2 2026: average 11,000 USD of Q1, at the rate of 2026-03-31: 10,000 EUR.
    assert (prices[PRICED.index].price, prices[PRICED.index].priced) == (D("10000.0000"), True)
    # Q1 2027 (its quotational period, Q4 2026, runs until 2026-12-31): the latest rate.
    assert (prices[OPEN.index].price, prices[OPEN.index].priced) == (D("11000.0000"), False)
    rate(datetime.date(2026, 12, 1), "1.32")
    later = price_selectors.quarter_prices(contract, [PRICED.index, OPEN.index], today=TODAY)
    assert later[PRICED.index].price == D("10000.0000")
    assert later[OPEN.index].price == D("10000.0000")


def test_only_open_future_quarters_are_marked_to_market(make_contract, sign, desk, rate, lioh):
    PriceIndex.objects.create(
        code="lioh-eur", name="LiOH", provider="Test", material=lioh, currency="EUR", unit="t"
    )
    contract = sign(make_contract(start_quarter=Quarter(2026, 1).index))  # 10 t a quarter
    rows = price_selectors.mark_to_market(user=desk, today=TODAY)["contracts"]
    row = next(r for r in rows if r["contract"] == contract)
    # 2026-Q4 (pricing date 2026-12-31) and the four quarters of 2027; 2026-Q1..Q3 are priced.
    assert row["open_t"] == D("50")


def test_the_prices_api_says_which_rate_converted_a_quarter(api, desk, make_contract, rate):
    contract = make_contract(
        currency="USD", fixed_price=D("11000"), start_quarter=Quarter(2026, 1).index
    )
    from contracts.offtakes import services as offtake_services

    offtake_services.schedule_generate(contract=contract, actor=desk)
    rate(datetime.date(2026, 3, 31), "1.10")
    rate(datetime.date(2026, 11, 2), "1.25")
    rows = {
        r["period"]: r for r in api(desk).get(f"/api/v1/contracts/{contract.pk}/prices/").json()
    }
    assert (rows["2026-Q1"]["price_eur"], rows["2026-Q1"]["priced"]) == ("10000.0000", True)
    assert rows["2026-Q1"]["pricing_date"] == "2026-03-31"
    assert (rows["2027-Q4"]["price_eur"], rows["2027-Q4"]["priced"]) == ("8800.0000", False)
