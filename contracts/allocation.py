"""Back-to-back allocation of one contract quarter among member firms (docs/allocation.md).

A pure function: no database, no floats. Quantities are tonnes at 6 decimal places; inside, the
arithmetic is done in whole micro-tonnes (integers), so every share is exact and the shares add
up to exactly the allocated volume.

The rule: the available volume is cut into whole lots of the contract. In scarcity each firm's
exact pro-rata share (lots available x its remaining firm demand / total remaining demand) is
rounded down to whole lots; the lots left over go one at a time to the firms with the largest
remainders (ties: lower organisation id), never above the whole lots a firm asked for. When the
volume covers every firm's demand, each firm gets its demand in whole lots and the rest stays
unallocated (surplus), as does any part of a lot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

MICRO = 1_000_000
SIX_PLACES = Decimal("0.000001")


def to_micro(tonnes: Decimal) -> int:
    """Tonnes as whole micro-tonnes; refuses anything finer than 6 decimal places."""
    if not isinstance(tonnes, Decimal):
        raise TypeError("quantities are Decimal, never float")
    scaled = tonnes * MICRO
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{tonnes} t has more than 6 decimal places")
    return int(scaled)


def from_micro(micro: int) -> Decimal:
    return (Decimal(micro) / MICRO).quantize(SIX_PLACES)


def micro_text(micro: int) -> str:
    """Whole micro-tonnes as the text of :func:`from_micro` ("1.500000"), without a Decimal:
    a national round's preview writes 100,000 shares (docs/benchmarks.md)."""
    sign = "-" if micro < 0 else ""
    whole, part = divmod(abs(micro), MICRO)
    return f"{sign}{whole}.{part:06d}"


def ratio_text(whole: int, num: int, den: int) -> str:
    """``whole + num / den`` at 6 decimal places, rounded half to even, as text: the exact
    pro-rata share in lots, in integers only."""
    if not den or not num:
        return micro_text(whole * MICRO)
    micro, rest = divmod(num * MICRO, den)
    if 2 * rest > den or (2 * rest == den and micro % 2):
        micro += 1
    return micro_text(whole * MICRO + micro)


@dataclass
class Share:
    """One firm's share of the volume, and how it was computed (shown to the firm)."""

    organisation_id: int
    demand_t: Decimal
    cap_lots: int
    demand_micro: int = 0
    base_lots: int = 0
    extra_lots: int = 0
    # The exact pro-rata share in lots is base_lots + remainder_num / remainder_den.
    remainder_num: int = 0
    remainder_den: int = 1

    @property
    def lots(self) -> int:
        return self.base_lots + self.extra_lots


@dataclass
class AllocationResult:
    volume_t: Decimal
    lot_t: Decimal
    lots_available: int
    total_demand_t: Decimal
    scarce: bool
    shares: list[Share] = field(default_factory=list)

    @property
    def allocated_t(self) -> Decimal:
        return from_micro(sum(s.lots for s in self.shares) * to_micro(self.lot_t))

    @property
    def unallocated_t(self) -> Decimal:
        return self.volume_t - self.allocated_t

    def quantity_t(self, share: Share) -> Decimal:
        return from_micro(share.lots * to_micro(self.lot_t))

    def quantities(self) -> dict[int, Decimal]:
        """organisation id -> :meth:`quantity_t` for every share (the lot converted once)."""
        lot = to_micro(self.lot_t)
        return {s.organisation_id: from_micro(s.lots * lot) for s in self.shares}

    def _common(self) -> dict:
        """The figures every firm's explanation shares, computed once per result (summing every
        firm's lots for each firm made a preview quadratic in firms; docs/allocation.md)."""
        return {
            "method": "pro_rata" if self.scarce else "full_demand",
            "volume_t": str(self.volume_t),
            "lot_t": str(self.lot_t),
            "lots_available": self.lots_available,
            "total_remaining_demand_t": str(self.total_demand_t),
            "firms": len(self.shares),
            "unallocated_t": str(self.unallocated_t),
        }

    def _explain(self, share: Share, common: dict, lot_micro: int) -> tuple:
        """The values of one firm's explanation, in the order of ``EXPLANATION_KEYS`` (integer
        arithmetic only; the texts are those of the Decimal quantities at 6 places)."""
        lots = share.lots
        return (
            common["method"],
            common["volume_t"],
            common["lot_t"],
            common["lots_available"],
            common["total_remaining_demand_t"],
            common["firms"],
            micro_text(share.demand_micro),
            share.cap_lots,
            ratio_text(share.base_lots, share.remainder_num, share.remainder_den),
            share.base_lots,
            share.extra_lots,
            lots,
            micro_text(lots * lot_micro),
            common["unallocated_t"],
        )

    def explanation(self, share: Share) -> dict:
        """How this firm's share came about, in numbers the firm can check (decimal strings).
        For every firm of a result use :meth:`explanations` (linear, not quadratic)."""
        return dict(
            zip(
                EXPLANATION_KEYS,
                self._explain(share, self._common(), to_micro(self.lot_t)),
                strict=True,
            )
        )

    def explanations(self) -> dict[int, dict]:
        """organisation id -> :meth:`explanation` for every share, in time linear in firms."""
        common, lot_micro = self._common(), to_micro(self.lot_t)
        return {
            s.organisation_id: dict(
                zip(EXPLANATION_KEYS, self._explain(s, common, lot_micro), strict=True)
            )
            for s in self.shares
        }

    def explanations_json(self, *, own_only: bool = False) -> dict[int, str]:
        """organisation id -> :meth:`explanation` as JSON text, for storing a national round's
        shares in bulk (the same values; a template instead of a dict and a JSON encoder per
        firm). Every value is a decimal string, a name or an integer: nothing needs escaping.

        ``own_only``: only the firm's own figures (``OWN_KEYS``); SQL adds the figures all firms
        share (:meth:`common_json`) once, instead of receiving them 5,000 times."""
        common, lot_micro = self._common(), to_micro(self.lot_t)
        kinds = _OWN_JSON_KINDS if own_only else _JSON_KINDS
        template = "{{" + ",".join(f'"{key}":{kind}' for _i, key, kind in kinds) + "}}"
        if not own_only:
            return {
                s.organisation_id: template.format(*self._explain(s, common, lot_micro))
                for s in self.shares
            }
        positions = [i for i, _key, _kind in kinds]
        result = {}
        for s in self.shares:
            values = self._explain(s, common, lot_micro)
            result[s.organisation_id] = template.format(*(values[i] for i in positions))
        return result

    def common_json(self, **extra: str) -> str:
        """The figures every firm's explanation shares (``SHARED_KEYS``), and ``extra``, as a
        JSON object."""
        return json.dumps({**self._common(), **extra})


EXPLANATION_KEYS = (
    "method",
    "volume_t",
    "lot_t",
    "lots_available",
    "total_remaining_demand_t",
    "firms",
    "remaining_demand_t",
    "cap_lots",
    "pro_rata_lots",
    "base_lots",
    "extra_lots",
    "lots",
    "share_t",
    "unallocated_t",
)
_INTEGERS = {"lots_available", "firms", "cap_lots", "base_lots", "extra_lots", "lots"}
# The figures every firm of a result shares (``AllocationResult._common``), and those that
# differ from firm to firm.
SHARED_KEYS = frozenset({"method", "volume_t", "lot_t", "lots_available", "firms"}) | {
    "total_remaining_demand_t",
    "unallocated_t",
}
OWN_KEYS = tuple(key for key in EXPLANATION_KEYS if key not in SHARED_KEYS)
_JSON_KINDS = tuple(
    (i, key, "{}" if key in _INTEGERS else '"{}"') for i, key in enumerate(EXPLANATION_KEYS)
)
_OWN_JSON_KINDS = tuple(kind for kind in _JSON_KINDS if kind[1] in OWN_KEYS)


def allocate(volume_t: Decimal, lot_t: Decimal, demands: dict[int, Decimal]) -> AllocationResult:
    """Share ``volume_t`` among firms by their remaining firm demand ``demands`` (organisation id
    -> tonnes) in whole lots of ``lot_t``. Firms with no demand get nothing."""
    volume, lot = to_micro(volume_t), to_micro(lot_t)
    if lot <= 0:
        raise ValueError("the lot size must be positive")
    if volume < 0:
        raise ValueError("the volume must not be negative")
    firms = sorted((org, to_micro(d)) for org, d in demands.items() if d > 0)
    total = sum(d for _org, d in firms)
    lots_available = volume // lot
    shares = [
        Share(organisation_id=org, demand_t=from_micro(d), cap_lots=d // lot, demand_micro=d)
        for org, d in firms
    ]
    scarce = sum(s.cap_lots for s in shares) > lots_available
    result = AllocationResult(
        volume_t=from_micro(volume),
        lot_t=from_micro(lot),
        lots_available=lots_available,
        total_demand_t=from_micro(total),
        scarce=scarce,
        shares=shares,
    )
    if not shares:
        return result
    if not scarce:
        for share in shares:
            share.base_lots = share.cap_lots
        return result
    # Exact pro rata in integers: lots_available * d / total = base + num / total.
    for share, (_org, d) in zip(shares, firms, strict=True):
        share.base_lots, share.remainder_num = divmod(lots_available * d, total)
        share.remainder_den = total
        # Never above the whole lots the firm asked for (cannot bind here, kept as a guard).
        share.base_lots = min(share.base_lots, share.cap_lots)
    left = lots_available - sum(s.base_lots for s in shares)
    order = sorted(shares, key=lambda s: (-s.remainder_num, s.organisation_id))
    while left > 0:
        given = 0
        for share in order:
            if left == 0:
                break
            if share.lots < share.cap_lots:
                share.extra_lots += 1
                left -= 1
                given += 1
        if not given:  # every firm is at its cap: the rest is surplus (cannot happen when scarce)
            break
    return result
