"""The agency's portfolio: approved stakes with their committed and disbursed amounts in EUR, and
the totals by material, country, instrument and project stage (docs/portfolio.md).

The agency reads every stake and every total; the ministry reads the totals by material, country
and instrument only (no stake, no project, nothing of a proposal in review: only approved stakes
are counted). Amounts convert to EUR at the rate the stake's approval used (``amount_eur``), and
disbursements at the same rate, so committed and disbursed compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from django_countries import countries

from .. import policy
from ..projects.models import ProjectStage
from ..stakes.models import Disbursement, Instrument, ProposalStage, StakeProposal

CENT = Decimal("0.01")
# The dimensions of the totals, and who reads which.
DIMENSIONS = ("material", "country", "instrument", "stage")
MINISTRY_DIMENSIONS = ("material", "country", "instrument")


def _eur(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass
class StakeLine:
    """One approved stake as the portfolio counts it."""

    stake: StakeProposal
    material: object | None  # the offtake right's material, else the project's first material
    committed_eur: Decimal | None
    disbursed: Decimal  # in the stake's currency
    disbursed_eur: Decimal | None

    @property
    def open_eur(self) -> Decimal | None:
        if self.committed_eur is None or self.disbursed_eur is None:
            return None
        return self.committed_eur - self.disbursed_eur


@dataclass
class Total:
    key: str
    label: str
    stakes: int = 0
    committed_eur: Decimal = Decimal(0)
    disbursed_eur: Decimal = Decimal(0)
    unconverted: int = 0  # stakes without an EUR amount (no FX rate when approved)


def _rate(stake: StakeProposal) -> Decimal | None:
    """Units of the stake's currency per EUR, as its approval used them."""
    if stake.currency == "EUR":
        return Decimal(1)
    if stake.fx_per_eur:
        return stake.fx_per_eur
    if stake.amount_eur:
        return stake.amount / stake.amount_eur
    return None


def stake_lines(*, user) -> list[StakeLine]:
    """Every approved stake, for the agency; nobody else reads single stakes."""
    if not policy.is_agency(user):
        return []
    return _lines(policy.approved_stakes_visible_to(user))


def _lines(stakes) -> list[StakeLine]:
    stakes = list(
        stakes.select_related("project", "offtake_material")
        .prefetch_related("project__material_capacities__material")
        .order_by("project__name", "pk")
    )
    paid = dict(
        Disbursement.objects.filter(proposal__in=[s.pk for s in stakes])
        .values("proposal")
        .annotate(total=Sum("amount"))
        .values_list("proposal", "total")
    )
    lines = []
    for stake in stakes:
        material = stake.offtake_material
        if material is None:
            first = next(iter(stake.project.material_capacities.all()), None)
            material = first.material if first else None
        rate = _rate(stake)
        disbursed = paid.get(stake.pk) or Decimal(0)
        committed = stake.amount_eur if stake.amount_eur is not None else None
        if committed is None and rate is not None:
            committed = stake.amount / rate
        lines.append(
            StakeLine(
                stake=stake,
                material=material,
                committed_eur=_eur(committed),
                disbursed=disbursed,
                disbursed_eur=_eur(disbursed / rate) if rate is not None else None,
            )
        )
    return lines


def _key_label(line: StakeLine, dimension: str) -> tuple[str, str]:
    stake = line.stake
    if dimension == "material":
        if line.material is None:
            return "", _("no material named")
        return line.material.code, line.material.name
    if dimension == "country":
        code = stake.project.country.code
        return code, countries.name(code) or code
    if dimension == "instrument":
        return stake.instrument, Instrument(stake.instrument).label
    return stake.project.stage, ProjectStage(stake.project.stage).label


def totals(lines: list[StakeLine], dimension: str) -> list[Total]:
    """Committed and disbursed EUR per value of ``dimension``, largest commitment first."""
    groups: dict[str, Total] = {}
    for line in lines:
        key, label = _key_label(line, dimension)
        total = groups.setdefault(key, Total(key=key, label=label))
        total.stakes += 1
        if line.committed_eur is None or line.disbursed_eur is None:
            total.unconverted += 1
            continue
        total.committed_eur += line.committed_eur
        total.disbursed_eur += line.disbursed_eur
    return sorted(groups.values(), key=lambda t: (-t.committed_eur, t.label))


@dataclass
class Portfolio:
    lines: list[StakeLine]  # empty for the ministry
    by: dict[str, list[Total]]
    stakes: int
    committed_eur: Decimal
    disbursed_eur: Decimal


def portfolio(*, user) -> Portfolio | None:
    """The portfolio as ``user`` may read it: the agency every stake and every total, the
    ministry the totals by material, country and instrument. None for everyone else."""
    if not policy.reads_portfolio_totals(user):
        return None
    agency = policy.is_agency(user)
    lines = _lines(StakeProposal.objects.filter(stage=ProposalStage.APPROVED))
    dimensions = DIMENSIONS if agency else MINISTRY_DIMENSIONS
    return Portfolio(
        lines=lines if agency else [],
        by={dimension: totals(lines, dimension) for dimension in dimensions},
        stakes=len(lines),
        committed_eur=sum((line.committed_eur or 0 for line in lines), Decimal(0)),
        disbursed_eur=sum((line.disbursed_eur or 0 for line in lines), Decimal(0)),
    )
