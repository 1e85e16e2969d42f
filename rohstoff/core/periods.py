"""Delivery periods: a year (``2027``) or a quarter (``2027-Q3``).

Positions are kept per quarter. A year splits into four quarters of q/4 at 6 decimal places,
rounded half to even, the fourth quarter taking the remainder so that the quarters add up exactly.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from .units import TONNE_PLACES

_PERIOD = re.compile(r"^(\d{4})(?:-?Q([1-4]))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        period = Period.parse(text)
        if period.quarter is None:
            raise PeriodError(f"{text!r} is a year, not a quarter (write e.g. 2027-Q1).")
        return cls(period.year, period.quarter)

    @classmethod
    def from_index(cls, index: int) -> "Quarter":
        return cls(index // 4, index % 4 + 1)

    @property
    def index(self) -> int:
        """Quarters counted from year 0: consecutive quarters have consecutive indexes."""
        return self.year * 4 + self.quarter - 1

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    def __add__(self, quarters: int) -> "Quarter":
        return Quarter.from_index(self.index + quarters)


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = _PERIOD.match(str(text).strip().upper())
        if not match:
            raise PeriodError(
                f"{text!r} is not a period; write a year (2027) or a quarter (2027-Q3)."
            )
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            raise PeriodError(f"{year} is not a plausible delivery year.")
        return cls(year, int(match.group(2)) if match.group(2) else None)

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    def quarters(self) -> list[Quarter]:
        if self.quarter is None:
            return [Quarter(self.year, q) for q in (1, 2, 3, 4)]
        return [Quarter(self.year, self.quarter)]

    @property
    def first(self) -> Quarter:
        return self.quarters()[0]

    @property
    def last(self) -> Quarter:
        return self.quarters()[-1]

    def __str__(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    return [Quarter.from_index(i) for i in range(first.index, last.index + 1)]


def split_year(tonnes: Decimal) -> list[Decimal]:
    """Four quarterly shares of an annual quantity that add up to it exactly."""
    share = (tonnes / 4).quantize(TONNE_PLACES, rounding=ROUND_HALF_EVEN)
    return [share, share, share, tonnes - 3 * share]


def spread(period: Period, tonnes: Decimal) -> list[tuple[Quarter, Decimal]]:
    if period.is_year:
        return list(zip(period.quarters(), split_year(tonnes), strict=True))
    return [(period.first, tonnes)]
