"""Schedule arithmetic with tolerances, and late/short detection on given dates."""

import datetime
from decimal import Decimal

from django.utils import translation

from contracts import schedule
from rohstoff.core.periods import Quarter

D = Decimal
NB = "\u00a0"  # the no-break space between a figure and its unit
Q1, Q2, Q3, Q4 = (Quarter(2027, q).index for q in (1, 2, 3, 4))


def test_generate_splits_the_annual_volume_exactly():
    entries = schedule.generate(Q1, Quarter(2028, 2).index, D("100.000001"))
    assert entries[Q1] == D("25.000000") and entries[Q4] == D("25.000001")
    assert sum(v for q, v in entries.items() if Quarter.from_index(q).year == 2027) == D(
        "100.000001"
    )
    assert len(entries) == 6


def test_a_schedule_within_tolerance_passes():
    assert (
        schedule.check(
            Q1, Q4, D("40"), D("5"), {Q1: D("10"), Q2: D("10"), Q3: D("11"), Q4: D("10.5")}
        )
        == []
    )


def test_volumes_that_do_not_add_up():
    errors = schedule.check(
        Q1, Q4, D("40"), D("5"), {Q1: D("10"), Q2: D("10"), Q3: D("10"), Q4: D("13")}
    )
    assert len(errors) == 1
    assert "2027" in errors[0] and f"43{NB}t" in errors[0] and f"38{NB}t to 42{NB}t" in errors[0]


def test_the_message_writes_each_figure_once_in_the_readers_notation():
    entries = {Q1: D("12.500000"), Q2: D("12.500000"), Q3: D("12.500000"), Q4: D("14.500000")}
    with translation.override("de"):
        (error,) = schedule.check(Q1, Q4, D("50.000000"), D("2.5000"), entries)
    assert error == (
        f"2027: Die Quartale ergeben zusammen 52{NB}t, der Vertrag sieht aber 50{NB}t vor "
        f"(± 2,5{NB}%: 48,75{NB}t bis 51,25{NB}t)."
    )
    with translation.override("en"):
        (error,) = schedule.check(Q1, Q4, D("50000"), D("2.5"), {Q1: D("52000")})
    assert error == (
        f"2027: the quarters add up to 52,000{NB}t, but the contract says 50,000{NB}t "
        f"(± 2.5{NB}%: 48,750{NB}t to 51,250{NB}t)."
    )


def test_a_quarter_outside_the_term():
    errors = schedule.check(
        Q1,
        Q4,
        D("40"),
        D("5"),
        {Q1: D("10"), Q2: D("10"), Q3: D("10"), Q4: D("10"), Quarter(2028, 1).index: D("5")},
    )
    assert errors == ["2028-Q1 lie outside the contract term 2027-Q1 to 2027-Q4."]


def test_partial_year_is_pro_rata():
    # Term 2027-Q3 .. 2028-Q2: each year has two quarters, so 20 t each at 40 t a year.
    start, end = Q3, Quarter(2028, 2).index
    ok = {
        Q3: D("10"),
        Q4: D("10"),
        Quarter(2028, 1).index: D("10"),
        Quarter(2028, 2).index: D("10"),
    }
    assert schedule.check(start, end, D("40"), D("0"), ok) == []
    assert schedule.check(start, end, D("40"), D("0"), {**ok, Q4: D("11")})


def test_status_on_given_dates():
    tol = D("5")  # 20 t scheduled: complete from 19 t
    assert schedule.status(Q2, D("20"), D("0"), tol, datetime.date(2027, 3, 31)) == "upcoming"
    assert schedule.status(Q2, D("20"), D("0"), tol, datetime.date(2027, 4, 1)) == "due"
    assert schedule.status(Q2, D("20"), D("0"), tol, datetime.date(2027, 6, 30)) == "due"
    assert schedule.status(Q2, D("20"), D("0"), tol, datetime.date(2027, 7, 1)) == "late"
    assert schedule.status(Q2, D("20"), D("18.999"), tol, datetime.date(2027, 7, 1)) == "short"
    assert schedule.status(Q2, D("20"), D("19"), tol, datetime.date(2027, 7, 1)) == "delivered"
    assert schedule.status(Q2, D("20"), D("19"), tol, datetime.date(2027, 5, 1)) == "delivered"
    assert schedule.status(Q2, D("20"), D("25"), tol, datetime.date(2027, 7, 1)) == "delivered"


def test_tolerance_bounds():
    assert schedule.bounds(D("20"), D("5")) == (D("19.000000"), D("21.000000"))
    assert schedule.bounds(D("10"), D("0")) == (D("10.000000"), D("10.000000"))
