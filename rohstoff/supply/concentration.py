"""Country shares and the Herfindahl-Hirschman index, and the CRMA 2030 benchmarks
(docs/supply-security.md). Pure arithmetic on Decimals, no database: the selectors feed it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

HUNDRED = Decimal(100)
SHARE_PLACES = Decimal("0.01")  # shares are shown in percent with two decimals
HHI_PLACES = Decimal("1")  # the index is shown as a whole number, 0 to 10,000

# The EU's 27 member states (ISO 3166 alpha-2); everything else is a third country.
EU_MEMBERS = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

# CRMA Art. 5(1): the EU's 2030 benchmarks, in percent of annual consumption.
BENCHMARK_EXTRACTED = Decimal(10)  # at least
BENCHMARK_PROCESSED = Decimal(40)  # at least
BENCHMARK_RECYCLED = Decimal(25)  # at least
BENCHMARK_THIRD_COUNTRY = Decimal(65)  # at most, from any one third country


def is_third_country(code: str) -> bool:
    """A named non-EU country. A grouped or unknown entry (no code) is not judged."""
    return bool(code) and code not in EU_MEMBERS


@dataclass(frozen=True)
class Share:
    key: str  # ISO code, or the name where there is none
    name: str
    value: Decimal
    percent: Decimal  # exact (unrounded) share in percent

    @property
    def third_country(self) -> bool:
        return is_third_country(self.key if len(self.key) == 2 else "")

    @property
    def shown(self) -> Decimal:
        return self.percent.quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Concentration:
    shares: list[Share]  # largest first; ties by name
    total: Decimal
    hhi: Decimal | None  # exact; None without any figure

    @property
    def hhi_shown(self) -> Decimal | None:
        return None if self.hhi is None else self.hhi.quantize(HHI_PLACES, ROUND_HALF_EVEN)

    @property
    def largest(self) -> Share | None:
        return self.shares[0] if self.shares else None

    @property
    def largest_third_country(self) -> Share | None:
        return next((s for s in self.shares if s.third_country), None)

    @property
    def over_third_country_limit(self) -> bool:
        """One third country holds more than 65 % (CRMA Art. 5(1)(b)); exactly 65 % is not."""
        third = self.largest_third_country
        return third is not None and third.percent > BENCHMARK_THIRD_COUNTRY


def concentration(entries: Iterable[tuple[str, str, Decimal]]) -> Concentration:
    """Shares of each entry (key, name, value) in the sum of all entries, and the HHI: the sum of
    the squared shares in percent. Entries with the same key are added up; zero entries stay
    out of the ranking but do not change anything."""
    values: dict[str, list] = {}
    for key, name, value in entries:
        slot = values.setdefault(key, [name, Decimal(0)])
        slot[1] += value
    total = sum((v for _n, v in values.values()), Decimal(0))
    if total <= 0:
        return Concentration(shares=[], total=total, hhi=None)
    shares = [
        Share(key=key, name=name, value=value, percent=value * HUNDRED / total)
        for key, (name, value) in values.items()
        if value > 0
    ]
    shares.sort(key=lambda s: (-s.value, s.name))
    hhi = sum((s.percent * s.percent for s in shares), Decimal(0))
    return Concentration(shares=shares, total=total, hhi=hhi)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else part * HUNDRED / whole
