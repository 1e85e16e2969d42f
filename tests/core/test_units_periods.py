"""Units (t, kg, lb; Decimal, 6 dp half-even) and periods (years split into quarters, the fourth
taking the remainder), with property tests where they fit."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rohstoff.core.periods import Period, PeriodError, Quarter, quarter_range, split_year, spread
from rohstoff.core.units import KG_PER_LB, from_tonnes, parse_decimal, to_tonnes

quantities = st.decimals(
    min_value=Decimal("0"),
    max_value=Decimal("1e9"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)
exact_quantities = st.decimals(
    min_value=Decimal("0"),
    max_value=Decimal("1e9"),
    places=3,
    allow_nan=False,
    allow_infinity=False,
)


# ---- units -----------------------------------------------------------------------------------


def test_the_pound_is_the_international_avoirdupois_pound():
    assert Decimal("0.45359237") == KG_PER_LB
    assert to_tonnes(Decimal("1"), "lb") == Decimal("0.000454")
    assert to_tonnes(Decimal("2204.62262185"), "lb") == Decimal("1.000000")


@pytest.mark.parametrize(
    ("quantity", "unit", "tonnes"),
    [
        ("1500", "kg", "1.500000"),
        ("1", "t", "1.000000"),
        ("0.0000005", "t", "0.000000"),  # half to even: down to the even 0
        ("0.0000015", "t", "0.000002"),  # half to even: up to the even 2
        ("0.0005", "kg", "0.000000"),  # 0.0000005 t
        ("0.0025", "kg", "0.000002"),  # 0.0000025 t -> 2
        ("1000", "lb", "0.453592"),
    ],
)
def test_conversions_round_half_to_even_at_six_places(quantity, unit, tonnes):
    result = to_tonnes(Decimal(quantity), unit)
    assert result == Decimal(tonnes)
    assert result.as_tuple().exponent == -6


def test_floats_and_unknown_units_are_refused():
    with pytest.raises(TypeError):
        to_tonnes(1.5, "t")
    with pytest.raises(ValueError, match="unknown unit"):
        to_tonnes(Decimal("1"), "oz")


@given(exact_quantities)
def test_kilograms_with_three_decimals_convert_exactly(kg):
    assert to_tonnes(kg, "kg") * 1000 == kg


@given(quantities)
def test_tonnes_stay_tonnes(t):
    assert to_tonnes(t, "t") == t


@given(quantities, st.sampled_from(["t", "kg", "lb"]))
def test_a_conversion_is_within_half_a_gram_of_the_exact_value(quantity, unit):
    exact = quantity * {"t": Decimal(1), "kg": Decimal("0.001"), "lb": KG_PER_LB / 1000}[unit]
    assert abs(to_tonnes(quantity, unit) - exact) <= Decimal("0.0000005")


@given(quantities, st.sampled_from(["t", "kg", "lb"]))
def test_from_tonnes_inverts_the_factor(quantity, unit):
    tonnes = to_tonnes(quantity, unit)
    assert abs(from_tonnes(tonnes, unit) - quantity) <= from_tonnes(
        Decimal("0.0000005"), unit
    ) + Decimal("1e-18")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.500,5", "1500.5"),
        ("1,500.5", "1500.5"),
        ("1500,5", "1500.5"),
        ("1500.5", "1500.5"),
        ("1.500", "1500"),
        (" 12 000 ", "12000"),
        ("2e3", "2000"),
        ("0,25", "0.25"),
    ],
)
def test_numbers_as_people_type_them(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1,5,5.3.2", "NaN", "inf", "1.2.3,4,5", "12,34,56"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


# ---- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "quarter"), [("2027", 2027, None), ("2027-Q3", 2027, 3), ("2031q4", 2031, 4)]
)
def test_periods_parse(text, year, quarter):
    period = Period.parse(text)
    assert (period.year, period.quarter) == (year, quarter)


@pytest.mark.parametrize("text", ["27", "2027-Q5", "2027-Q0", "Q3-2027", "1999", "2027-03", ""])
def test_bad_periods_are_refused_with_a_message(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_a_year_is_four_quarters_and_a_quarter_itself():
    assert [str(q) for q in Period.parse("2027").quarters()] == [
        "2027-Q1",
        "2027-Q2",
        "2027-Q3",
        "2027-Q4",
    ]
    assert Period.parse("2027-Q2").quarters() == [Quarter(2027, 2)]
    with pytest.raises(PeriodError):
        Quarter.parse("2027")


@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=4))
def test_quarter_indexes_are_consecutive_and_round_trip(year, quarter):
    q = Quarter(year, quarter)
    assert Quarter.from_index(q.index) == q
    assert (q + 1).index == q.index + 1
    assert Quarter.parse(str(q)) == q


def test_quarter_range_spans_years():
    assert [str(q) for q in quarter_range(Quarter(2027, 3), Quarter(2028, 2))] == [
        "2027-Q3",
        "2027-Q4",
        "2028-Q1",
        "2028-Q2",
    ]


@pytest.mark.parametrize(
    ("annual", "quarters"),
    [
        ("100", ["25.000000"] * 4),
        ("1", ["0.250000"] * 4),
        ("0.000010", ["0.000002", "0.000002", "0.000002", "0.000004"]),
        ("10.000001", ["2.500000", "2.500000", "2.500000", "2.500001"]),
    ],
)
def test_year_split_examples(annual, quarters):
    assert split_year(Decimal(annual)) == [Decimal(q) for q in quarters]


@given(quantities)
def test_the_quarters_of_a_year_add_up_exactly(annual):
    shares = split_year(annual)
    assert sum(shares) == annual
    assert shares[0] == shares[1] == shares[2]
    assert abs(shares[3] - shares[0]) <= Decimal("0.000003")
    assert all(s >= 0 for s in shares)


def test_spread_over_a_period():
    assert spread(Period.parse("2027-Q3"), Decimal("7")) == [(Quarter(2027, 3), Decimal("7"))]
    assert [t for _q, t in spread(Period.parse("2027"), Decimal("7"))] == [Decimal("1.750000")] * 4
