"""Reads of demand lines: the lines a user sees, totals per material, and the desk's screening."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_number, format_tonnes
from rohstoff.core.models import Material, User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    DemandLine,
    DemandLineHistory,
    DemandRound,
    RoundState,
)

# The one definition is the policy's; the selectors and views of industry read lines through it.
lines_visible_to = policy.lines_visible_to

# Screening: a line is flagged when its tonnes per quarter exceed this multiple of the material's
# median in the round, or of the firm's own average for the material in its earlier rounds.
OUTLIER_FACTOR = Decimal("3")
OUTLIER_MIN_LINES = 3  # a median of fewer lines says little


def line_get(*, user: User, round: DemandRound, pk, include_withdrawn: bool = False) -> DemandLine:
    return get_visible_or_404(
        lines_visible_to(user, round=round, include_withdrawn=include_withdrawn), pk=pk
    )


def own_line_get(*, user: User, round: DemandRound, pk) -> DemandLine:
    """A line of the user's own firm (what members change); the desk's trustee view does not count."""
    if not policy.may_enter_demand(user):
        raise Http404
    return line_get(user=user, round=round, pk=pk)


@dataclass
class MaterialTotal:
    material: Material
    total_t: Decimal
    firm_t: Decimal
    lines: int


def material_totals(lines: QuerySet[DemandLine]) -> list[MaterialTotal]:
    """Tonnes per material of the given lines that count (not withdrawn, not excluded).

    Totals are per material only: tonnes of different materials are never added up."""
    rows = (
        lines.filter(withdrawn_at__isnull=True, excluded=False)
        .values("material")
        .annotate(
            total=Sum("quantity_t"),
            firm=Sum("quantity_t", filter=Q(commitment="firm")),
            lines=Count("pk"),
        )
        .order_by()
    )
    by_id = {r["material"]: r for r in rows}
    materials = Material.objects.filter(pk__in=by_id.keys())
    return [
        MaterialTotal(
            material=m,
            total_t=by_id[m.pk]["total"] or Decimal(0),
            firm_t=by_id[m.pk]["firm"] or Decimal(0),
            lines=by_id[m.pk]["lines"],
        )
        for m in materials
    ]


# ---- screening -------------------------------------------------------------------------------

SORTS = {
    "firm": ["organisation__name", "material__sort_order", "first_quarter"],
    "material": ["material__sort_order", "first_quarter", "organisation__name"],
    "period": ["first_quarter", "is_year", "material__sort_order", "organisation__name"],
    "-quantity_t": ["-quantity_t", "pk"],
    "quantity_t": ["quantity_t", "pk"],
    "-updated_at": ["-updated_at", "-pk"],
}


@dataclass
class ScreenedLine:
    line: DemandLine
    per_quarter_t: Decimal
    flags: list[str]


def _per_quarter(quantity_t: Decimal, is_year: bool) -> Decimal:
    return quantity_t / 4 if is_year else quantity_t


def outlier_reference(
    round: DemandRound,
) -> tuple[dict[int, Decimal], dict[tuple[int, int], Decimal]]:
    """Medians per material in this round, and each firm's average per material in its earlier
    rounds, both in tonnes per quarter (a year line counts a quarter of its tonnes)."""
    by_material: dict[int, list[Decimal]] = defaultdict(list)
    for material_id, quantity_t, is_year in DemandLine.objects.filter(
        round=round, withdrawn_at__isnull=True, excluded=False
    ).values_list("material_id", "quantity_t", "is_year"):
        by_material[material_id].append(_per_quarter(quantity_t, is_year))
    medians = {
        m: statistics.median(v) for m, v in by_material.items() if len(v) >= OUTLIER_MIN_LINES
    }
    earlier: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    earlier_rounds = (
        DemandRound.objects.filter(opens_at__lt=round.opens_at)
        .exclude(pk=round.pk)
        .exclude(state=RoundState.DRAFT)
    )
    for org_id, material_id, quantity_t, is_year in DemandLine.objects.filter(
        round__in=earlier_rounds, withdrawn_at__isnull=True, excluded=False
    ).values_list("organisation_id", "material_id", "quantity_t", "is_year"):
        earlier[(org_id, material_id)].append(_per_quarter(quantity_t, is_year))
    history = {k: sum(v) / len(v) for k, v in earlier.items()}
    return medians, history


class Screening(Sequence):
    """The lines the desk screens, filtered and in order, as a sequence that the paginator slices.

    Whether a line is flagged is decided for every line from a few of its columns; the lines
    themselves (firm, material, history) are loaded only for the slice that is shown, so that a
    page costs the same few queries and little memory however many lines the round holds."""

    def __init__(self, rows: list[tuple], medians: dict, history: dict):
        self._rows = rows  # (pk, organisation_id, material_id, tonnes per quarter), in order
        self._medians, self._history = medians, history

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self):  # one load for all, not one per line through __getitem__
        return iter(self[:])

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        rows = self._rows[index]
        lines = DemandLine.objects.filter(pk__in=[row[0] for row in rows]).select_related(
            "material", "organisation", "entered_by"
        )
        lines = lines.prefetch_related(
            Prefetch(
                "history",
                queryset=DemandLineHistory.objects.select_related("changed_by", "material"),
            )
        )
        by_pk = {line.pk: line for line in lines}
        return [
            ScreenedLine(
                line=by_pk[pk],
                per_quarter_t=per_quarter,
                flags=self._flags(organisation_id, material_id, per_quarter),
            )
            for pk, organisation_id, material_id, per_quarter in rows
        ]

    def _references(self, organisation_id, material_id) -> tuple[Decimal | None, Decimal | None]:
        return self._medians.get(material_id), self._history.get((organisation_id, material_id))

    def is_flagged(self, organisation_id, material_id, per_quarter) -> bool:
        return any(
            reference and per_quarter > OUTLIER_FACTOR * reference
            for reference in self._references(organisation_id, material_id)
        )

    def _flags(self, organisation_id, material_id, per_quarter) -> list[str]:
        median, earlier = self._references(organisation_id, material_id)
        flags = []
        if median and per_quarter > OUTLIER_FACTOR * median:
            flags.append(
                _("%(x)s× the material's median in this round (%(median)s per quarter)")
                % {"x": format_number(per_quarter / median, 1), "median": format_tonnes(median)}
            )
        if earlier and per_quarter > OUTLIER_FACTOR * earlier:
            flags.append(
                _("%(x)s× this firm's average in earlier rounds (%(avg)s per quarter)")
                % {"x": format_number(per_quarter / earlier, 1), "avg": format_tonnes(earlier)}
            )
        return flags


def screening_lines(
    *,
    user: User,
    round: DemandRound,
    firm: str = "",
    material: str = "",
    period: str = "",
    commitment: str = "",
    status: str = "",
    flagged: bool = False,
    sort: str = "material",
) -> Screening:
    """Every line of the round for the desk (404 for anyone else), filtered, sorted and flagged."""
    if not policy.may_screen_lines(user):
        raise Http404
    qs = lines_visible_to(user, round=round, include_withdrawn=True)
    if firm:
        qs = qs.filter(organisation_id=firm) if str(firm).isdigit() else qs.none()
    if material:
        qs = qs.filter(material__code=material)
    if period:
        qs = qs.filter(period=period.strip().upper())
    if commitment:
        qs = qs.filter(commitment=commitment)
    if status == "active":
        qs = qs.filter(withdrawn_at__isnull=True, excluded=False)
    elif status == "excluded":
        qs = qs.filter(excluded=True)
    elif status == "withdrawn":
        qs = qs.filter(withdrawn_at__isnull=False)
    qs = qs.order_by(*SORTS.get(sort, SORTS["material"]))
    medians, history = outlier_reference(round)
    rows = [
        (pk, organisation_id, material_id, _per_quarter(quantity_t, is_year))
        for pk, organisation_id, material_id, quantity_t, is_year in qs.values_list(
            "pk", "organisation_id", "material_id", "quantity_t", "is_year"
        )
    ]
    screening = Screening(rows, medians, history)
    if flagged:
        screening = Screening(
            [row for row in rows if screening.is_flagged(*row[1:])], medians, history
        )
    return screening


def round_firms(round: DemandRound) -> QuerySet:
    from rohstoff.core.models import Organisation

    return Organisation.objects.filter(demand_lines__round=round).distinct().order_by("name")
