"""Days of cover and bands on a hand case (docs/stockpile.md): the next four quarters after
2026-11-29 are 2027-Q1..Q4 (365 days); lithium hydroxide's pooled demand there is 1,000 t."""

from decimal import Decimal

import pytest

from agency.stockpile import cover, selectors, services
from rohstoff.core.periods import Quarter

from .conftest import TODAY


def test_next_four_quarters_and_their_days():
    assert cover.next_quarters(TODAY) == [Quarter(2027, q) for q in (1, 2, 3, 4)]
    assert [cover.days_in(q) for q in cover.next_quarters(TODAY)] == [90, 91, 92, 92]
    assert cover.days_in(Quarter(2028, 1)) == 91  # a leap year's February
    # On the first day of a quarter the quarter itself is not "next".
    assert cover.next_quarters(__import__("datetime").date(2027, 1, 1))[0] == Quarter(2027, 2)


@pytest.mark.parametrize(
    ("days", "target", "expected"),
    [
        (Decimal("59.9"), 60, "below"),
        (Decimal("60"), 60, "within"),
        (Decimal("90"), 60, "within"),
        (Decimal("90.1"), 60, "above"),
        (None, 60, "none"),
        (Decimal("179.9"), 180, "below"),
        (Decimal("270"), 180, "within"),
    ],
)
def test_band_edges(days, target, expected):
    assert cover.band(days, target) == expected


def test_days_of_cover_hand_case(analyst, ministry, lioh, li2co3, cells, stock):
    cells(lioh, {"2027-Q1": 100, "2027-Q2": 200, "2027-Q3": 300, "2027-Q4": 400, "2028-Q1": 999})
    cells(li2co3, {"2027-Q1": 50})
    stock(lioh, "200")
    stock(li2co3, "10")
    source, rows = selectors.cover_rows(user=analyst, today=TODAY)
    assert source.days_ahead == 365 and [str(q) for q in source.quarters] == [
        "2027-Q1",
        "2027-Q2",
        "2027-Q3",
        "2027-Q4",
    ]
    by_code = {r.material.code: r for r in rows}
    lithium = by_code["lithium-hydroxide"]
    # 200 t / (1,000 t / 365 d) = 73.0 d; target 60: within (60 to 90)
    assert lithium.demand_t == Decimal("1000") and lithium.days == Decimal("73.0")
    assert (lithium.target_days, lithium.band) == (60, "within")
    # 10 t / (50 t / 365 d) = 73.0 d as well
    assert by_code["lithium-carbonate"].days == Decimal("73.0")

    services.target_set(actor=analyst, material=lioh, high_risk=True)
    lithium = {r.material.code: r for r in selectors.cover_rows(user=analyst, today=TODAY)[1]}[
        "lithium-hydroxide"
    ]
    assert (lithium.target_days, lithium.band) == (180, "below")
    services.target_set(actor=analyst, material=lioh, high_risk=True, target_days=45)
    _source, bands = selectors.band_rows(user=ministry, today=TODAY)
    lithium = {b.material.code: b for b in bands}["lithium-hydroxide"]
    assert (lithium.target_days, lithium.band) == (45, "above")
    assert not hasattr(lithium, "holding_t") and not hasattr(lithium, "days")


def test_no_demand_ahead_is_no_band(analyst, lioh, cells, stock):
    cells(lioh, {"2028-Q1": 100})
    stock(lioh, "5")
    row = selectors.cover_rows(user=analyst, today=TODAY)[1][0]
    assert row.demand_t == 0 and row.days is None and row.band == "none"


def test_the_ministry_and_desk_never_read_tonnes(desk, ministry, member_a):
    from django.core.exceptions import PermissionDenied

    for user in (desk, ministry, member_a):
        with pytest.raises(PermissionDenied):
            selectors.cover_rows(user=user)
    for user in (desk, member_a):
        with pytest.raises(PermissionDenied):
            selectors.band_rows(user=user)


def test_bridge_walks_quarters():
    q2, q3, q4 = Quarter(2027, 2), Quarter(2027, 3), Quarter(2027, 4)
    # 120 t against 80 t a quarter: Q2 whole (91 d), then 40 of 80 t of Q3's 92 days = 46 d
    b = cover.bridge(Decimal(120), [(q2, Decimal(80)), (q3, Decimal(80)), (q4, Decimal(80))])
    assert (b.days, b.exhausted) == (Decimal("137.0"), True)
    assert b.below_target(180) is True and b.band(60) == "above"
    lasts = cover.bridge(Decimal(500), [(q2, Decimal(80)), (q3, Decimal(0))])
    assert (lasts.exhausted, lasts.band(180), lasts.below_target(180)) == (False, "lasts", False)
    hidden = cover.bridge(Decimal(120), [(q2, Decimal(80)), (q3, None)])
    assert hidden.unknown_from == q3 and hidden.below_target(180) is None
    assert hidden.below_target(60) is False and hidden.band(180) is None
    assert hidden.band(60) == "above"  # 91 days at least, beyond 1.5 x 60
