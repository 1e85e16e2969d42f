"""Days of cover and bands (docs/stockpile.md): pure arithmetic on holdings, pooled demand and
targets, with no database access, so the selectors and the scenario share one rule.

* **Next four quarters**: the four calendar quarters after the one that contains today (on
  2026-11-29, in 2026-Q4: 2027-Q1 to 2027-Q4). Only those that lie in the round's window count.
* **Average daily demand**: the pooled demand of those quarters divided by their calendar days.
* **Days of cover**: holdings / average daily demand, to one decimal place.
* **Band**: ``below`` under the target; ``within`` from the target up to 1.5 times the target;
  ``above`` beyond; ``none`` when there is no demand to cover.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from rohstoff.core.periods import Quarter

AHEAD = 4  # quarters
WITHIN_FACTOR = Decimal("1.5")
DAYS_PLACES = Decimal("0.1")
LASTS = "lasts"  # a scenario's stockpile covers every shortfall of the round's window


class Band(models.TextChoices):
    BELOW = "below", _("below target")
    WITHIN = "within", _("within target")
    ABOVE = "above", _("above target")
    NONE = "none", _("no demand to cover")


def quarter_of(day: datetime.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def next_quarters(today: datetime.date, count: int = AHEAD) -> list[Quarter]:
    """The ``count`` quarters after the one that contains ``today``."""
    current = quarter_of(today)
    return [current + i for i in range(1, count + 1)]


def days_in(quarter: Quarter) -> int:
    first_month = (quarter.quarter - 1) * 3 + 1
    return sum(calendar.monthrange(quarter.year, m)[1] for m in range(first_month, first_month + 3))


def days_of_cover(holding_t: Decimal, demand_t: Decimal, days: int) -> Decimal | None:
    """``holding_t`` over the average daily demand of ``demand_t`` spread over ``days``; None
    without demand (nothing to cover)."""
    if not demand_t or not days:
        return None
    return (holding_t * days / demand_t).quantize(DAYS_PLACES, rounding=ROUND_HALF_EVEN)


def band(days: Decimal | None, target: int, *, exact: bool = True) -> str:
    """The band of ``days`` against ``target``. With ``exact`` False, ``days`` is a lower bound
    (the stockpile lasts at least that long): ``below`` is then not known and None is returned."""
    if days is None:
        return Band.NONE
    if days < target:
        return Band.BELOW if exact else None
    if days <= target * WITHIN_FACTOR:
        return Band.WITHIN if exact else None
    return Band.ABOVE


@dataclass(frozen=True)
class Bridge:
    """How long a stockpile covers a run of quarterly shortfalls, from the first quarter on.

    ``days`` counts from the start of the first quarter; ``exhausted`` says the stockpile ran
    out (``days`` is then exact); otherwise it lasted to the end of the known quarters, or to a
    quarter whose shortfall the reader may not see (``unknown_from``), and ``days`` is a lower
    bound."""

    days: Decimal
    exhausted: bool
    unknown_from: Quarter | None = None

    @property
    def exact(self) -> bool:
        return self.exhausted

    def below_target(self, target: int) -> bool | None:
        """The stockpile does not bridge ``target`` days (None: not known to this reader)."""
        if self.days >= target:
            return False
        if self.exhausted:
            return True
        return None if self.unknown_from is not None else False

    def band(self, target: int) -> str | None:
        """The band of the days bridged; ``lasts`` when the stockpile covers every shortfall of
        the known quarters; None when a hidden quarter leaves it open."""
        if self.exhausted:
            return band(self.days, target)
        if self.unknown_from is None:
            return LASTS
        return band(self.days, target, exact=False)


def bridge(holding_t: Decimal, shortfalls: list[tuple[Quarter, Decimal | None]]) -> Bridge:
    """Walk the quarters in order, drawing each quarter's shortfall from the stockpile evenly
    over its days. A shortfall of None (hidden from the reader) stops the walk."""
    left = holding_t
    days = Decimal(0)
    for quarter, shortfall in shortfalls:
        if shortfall is None:
            return Bridge(days=days.quantize(DAYS_PLACES), exhausted=False, unknown_from=quarter)
        length = days_in(quarter)
        if shortfall <= left:
            left -= shortfall
            days += length
            continue
        days += left * length / shortfall
        return Bridge(days=days.quantize(DAYS_PLACES, rounding=ROUND_HALF_EVEN), exhausted=True)
    return Bridge(days=days.quantize(DAYS_PLACES), exhausted=False)
