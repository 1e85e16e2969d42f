"""Schedule arithmetic: quarterly volumes from the annual volume, the checks that they add up
within the tolerance, and the status of a scheduled quarter on a given day. Pure functions."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_percent, format_tonnes
from rohstoff.core.periods import Quarter, split_year
from rohstoff.core.units import quantize_tonnes

from .pricing import quarter_dates


def generate(start_quarter: int, end_quarter: int, annual_t: Decimal) -> dict[int, Decimal]:
    """A quarter's share of the annual volume for every quarter of the term: a quarter of the
    annual volume each (6 decimal places), a whole calendar year adding up to it exactly."""
    shares = split_year(annual_t)
    return {
        q: shares[Quarter.from_index(q).quarter - 1] for q in range(start_quarter, end_quarter + 1)
    }


def bounds(expected: Decimal, tolerance_pct: Decimal) -> tuple[Decimal, Decimal]:
    delta = expected * tolerance_pct / 100
    return quantize_tonnes(expected - delta), quantize_tonnes(expected + delta)


def check(
    start_quarter: int,
    end_quarter: int,
    annual_t: Decimal,
    tolerance_pct: Decimal,
    entries: dict[int, Decimal],
) -> list[str]:
    """What is wrong with a schedule, in words for the desk (empty when it is fine).

    Every scheduled quarter lies inside the term; no quantity is negative; each calendar year's
    scheduled volume is within the tolerance of the annual volume (pro rata for a year the term
    covers only partly).
    """
    errors = []
    outside = sorted(q for q in entries if not start_quarter <= q <= end_quarter)
    if outside:
        errors.append(
            _("%(periods)s lie outside the contract term %(first)s to %(last)s.")
            % {
                "periods": ", ".join(str(Quarter.from_index(q)) for q in outside),
                "first": Quarter.from_index(start_quarter),
                "last": Quarter.from_index(end_quarter),
            }
        )
    negative = sorted(q for q, v in entries.items() if v < 0)
    if negative:
        errors.append(
            _("Quantities cannot be negative (%(periods)s).")
            % {"periods": ", ".join(str(Quarter.from_index(q)) for q in negative)}
        )
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    quarters_in_term: dict[int, int] = defaultdict(int)
    for q in range(start_quarter, end_quarter + 1):
        quarters_in_term[Quarter.from_index(q).year] += 1
    for q, v in entries.items():
        if start_quarter <= q <= end_quarter:
            by_year[Quarter.from_index(q).year] += v
    for year, n in sorted(quarters_in_term.items()):
        expected = annual_t * n / 4
        low, high = bounds(expected, tolerance_pct)
        got = by_year.get(year, Decimal(0))
        if not low <= got <= high:
            errors.append(
                _(
                    "%(year)s: the quarters add up to %(got)s, but the contract says %(expected)s "
                    "(± %(tol)s: %(low)s to %(high)s)."
                )
                % {
                    "year": year,
                    "got": format_tonnes(got),
                    "expected": format_tonnes(quantize_tonnes(expected)),
                    "tol": format_percent(tolerance_pct, 2, points=True),
                    "low": format_tonnes(low),
                    "high": format_tonnes(high),
                }
            )
    return errors


def status(
    quarter: int,
    scheduled_t: Decimal,
    delivered_t: Decimal,
    tolerance_pct: Decimal,
    today: datetime.date,
) -> str:
    """upcoming, due (this quarter), late (past due, nothing delivered), short (past due, below
    the tolerance) or delivered (at least the lower tolerance bound has arrived)."""
    low, _high = bounds(scheduled_t, tolerance_pct)
    start, end = quarter_dates(Quarter.from_index(quarter))
    if scheduled_t <= 0 or delivered_t >= low and delivered_t > 0:
        return "delivered"
    if today < start:
        return "upcoming"
    if today <= end:
        return "due"
    if delivered_t <= 0:
        return "late"
    return "short"
