"""Reads of demand lines: the lines a user sees, totals per material, and the desk's screening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Sum, When
from django.db.models.expressions import RawSQL
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


# Tonnes per quarter of a line, in SQL (a year line counts a quarter of its tonnes).
PER_QUARTER_SQL = "CASE WHEN is_year THEN quantity_t / 4 ELSE quantity_t END"
_PER_QUARTER = Case(When(is_year=True, then=F("quantity_t") / 4), default=F("quantity_t"))

_MEDIANS_SQL = f"""
SELECT material_id,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY {PER_QUARTER_SQL}),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY {PER_QUARTER_SQL} DESC)
  FROM industry_demandline
 WHERE round_id = %s AND withdrawn_at IS NULL AND NOT excluded
 GROUP BY material_id
HAVING count(*) >= %s
"""  # noqa: S608 - constant SQL, the values are parameters

_EARLIER_SQL = f"""
SELECT organisation_id, material_id, sum({PER_QUARTER_SQL}), count(*)
  FROM industry_demandline
 WHERE round_id = ANY(%s) AND withdrawn_at IS NULL AND NOT excluded
   AND organisation_id = ANY(%s) AND material_id = ANY(%s)
 GROUP BY organisation_id, material_id
"""  # noqa: S608 - constant SQL, the values are parameters

# The lines of a round above the outlier factor times the firm's own average in earlier rounds:
# one pass over the earlier rounds' lines (grouped) and a hash join with this round's.
_ABOVE_EARLIER_SQL = f"""
SELECT c.id
  FROM industry_demandline c
  JOIN (SELECT organisation_id, material_id, sum({PER_QUARTER_SQL}) AS s, count(*) AS n
          FROM industry_demandline
         WHERE round_id = ANY(%s) AND withdrawn_at IS NULL AND NOT excluded
         GROUP BY organisation_id, material_id) h
    ON h.organisation_id = c.organisation_id AND h.material_id = c.material_id
 WHERE c.round_id = %s
   AND (CASE WHEN c.is_year THEN c.quantity_t / 4 ELSE c.quantity_t END) * h.n > %s * h.s
"""  # noqa: S608 - constant SQL, the values are parameters


def material_medians(round: DemandRound) -> dict[int, Decimal]:
    """Median tonnes per quarter of each material's counting lines in this round (materials with
    at least ``OUTLIER_MIN_LINES`` lines), computed by PostgreSQL in one scan: the mean of the
    lower and upper middle values (``percentile_disc`` both ways), exact in numeric."""
    with connection.cursor() as cursor:
        cursor.execute(_MEDIANS_SQL, [round.pk, OUTLIER_MIN_LINES])
        return {material_id: (low + high) / 2 for material_id, low, high in cursor.fetchall()}


def _earlier_round_ids(round: DemandRound) -> list[int]:
    return list(
        DemandRound.objects.filter(opens_at__lt=round.opens_at)
        .exclude(pk=round.pk)
        .exclude(state=RoundState.DRAFT)
        .order_by()
        .values_list("pk", flat=True)
    )


def earlier_averages(
    earlier: list[int], pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], Decimal]:
    """Each given (firm, material)'s average tonnes per quarter in the ``earlier`` rounds."""
    if not earlier or not pairs:
        return {}
    orgs, materials = sorted({p[0] for p in pairs}), sorted({p[1] for p in pairs})
    with connection.cursor() as cursor:
        cursor.execute(_EARLIER_SQL, [earlier, orgs, materials])
        return {
            (org, material): total / n
            for org, material, total, n in cursor.fetchall()
            if (org, material) in pairs
        }


class Screening(Sequence):
    """The lines the desk screens, filtered and in order, as a sequence that the paginator slices.

    The database counts, sorts and slices the lines and decides which are flagged (the medians
    in one grouped scan, the firms' earlier averages in one grouped join); Python sees only the
    slice that is shown, so a page costs the same few queries and little memory however many
    lines the round holds (docs/benchmarks.md)."""

    def __init__(self, lines: QuerySet[DemandLine], earlier: list[int], medians: dict):
        self._lines, self._earlier, self._medians = lines, earlier, medians
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._lines.order_by().count()
        return self._count

    def __iter__(self):  # one load for all, not one per line through __getitem__
        return iter(self[:])

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        lines = list(
            self._lines.annotate(per_quarter_t=_PER_QUARTER)
            .select_related("material", "organisation", "entered_by")
            .prefetch_related(
                Prefetch(
                    "history",
                    queryset=DemandLineHistory.objects.select_related("changed_by", "material"),
                )
            )[index]
        )
        history = earlier_averages(
            self._earlier, {(line.organisation_id, line.material_id) for line in lines}
        )
        return [
            ScreenedLine(
                line=line,
                per_quarter_t=line.per_quarter_t,
                flags=self._flags(
                    self._medians.get(line.material_id),
                    history.get((line.organisation_id, line.material_id)),
                    line.per_quarter_t,
                ),
            )
            for line in lines
        ]

    @staticmethod
    def _flags(median, earlier, per_quarter) -> list[str]:
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


def _flagged(
    qs: QuerySet[DemandLine], round: DemandRound, earlier: list[int], medians: dict
) -> QuerySet:
    """Only the lines above the factor times their material's median or their firm's earlier
    average (the same rule as the flags shown)."""
    above = Q(pk__in=[])
    if medians:
        qs = qs.annotate(screen_per_quarter_t=_PER_QUARTER)
        for material_id, median in medians.items():
            above |= Q(material_id=material_id, screen_per_quarter_t__gt=OUTLIER_FACTOR * median)
    if earlier:
        above |= Q(pk__in=RawSQL(_ABOVE_EARLIER_SQL, [earlier, round.pk, OUTLIER_FACTOR]))  # noqa: S611 - constant SQL
    return qs.filter(above)


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
    medians, earlier = material_medians(round), _earlier_round_ids(round)
    if flagged:
        qs = _flagged(qs, round, earlier, medians)
    return Screening(qs.order_by(*SORTS.get(sort, SORTS["material"])), earlier, medians)


def round_firms(round: DemandRound) -> QuerySet:
    from rohstoff.core.models import Organisation

    # A semi-join (firm ids of the round's lines, hashed once) instead of joining every line to
    # its firm and removing the duplicates: a national round has a million lines.
    return Organisation.objects.filter(
        pk__in=DemandLine.objects.filter(round=round).order_by().values("organisation_id")
    ).order_by("name")
