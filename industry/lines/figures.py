"""The figures the desk's screening derives from a whole round (docs/screening.md): the versions of
its lines, each material's median, the firms' averages in earlier rounds and which lines are
outliers, stored per version of the lines they come from so that a view never rescans a round of a
million lines. The pages themselves are in :mod:`industry.lines.screening`."""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, Q, When
from django.db.models.expressions import RawSQL

from rohstoff.core.models import Material

from ..models import Commitment, DemandLine, DemandRound, RoundState
from .selectors import MaterialTotal

# A line is flagged when its tonnes per quarter exceed this multiple of the material's median in
# the round, or of the firm's own average for the material in its earlier rounds.
OUTLIER_FACTOR = Decimal("3")
OUTLIER_MIN_LINES = 3  # a median of fewer lines says little

STATISTICS_TIMEOUT = 24 * 3600  # seconds; an entry is never stale (keyed by the lines' version)
# The shape of what is stored: raise it when a stored figure changes shape (a dataclass gains a
# field), so that a release never reads an entry the one before it wrote (as the dashboards'
# ``kept.VERSION``).
STORE_FORMAT = 1


# Tonnes per quarter of a line, in SQL (a year line counts a quarter of its tonnes).
PER_QUARTER_SQL = "CASE WHEN is_year THEN quantity_t / 4 ELSE quantity_t END"
PER_QUARTER = Case(When(is_year=True, then=F("quantity_t") / 4), default=F("quantity_t"))

_MEDIANS_SQL = f"""
SELECT material_id,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY {PER_QUARTER_SQL}),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY {PER_QUARTER_SQL} DESC)
  FROM industry_demandline
 WHERE round_id = %s AND material_id = ANY(%s) AND withdrawn_at IS NULL AND NOT excluded
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

# The same for one material (the default order reads the flagged lines material by material).
_ABOVE_EARLIER_ONE_MATERIAL_SQL = f"""
SELECT c.id
  FROM industry_demandline c
  JOIN (SELECT organisation_id, sum({PER_QUARTER_SQL}) AS s, count(*) AS n
          FROM industry_demandline
         WHERE round_id = ANY(%s) AND material_id = %s AND withdrawn_at IS NULL AND NOT excluded
         GROUP BY organisation_id) h
    ON h.organisation_id = c.organisation_id
 WHERE c.round_id = %s AND c.material_id = %s
   AND (CASE WHEN c.is_year THEN c.quantity_t / 4 ELSE c.quantity_t END) * h.n > %s * h.s
"""  # noqa: S608 - constant SQL, the values are parameters

# This round's lines version, the earlier rounds (not drafts, opened before) with theirs, and the
# versions of this round's lines per material, in one statement. The versions change with every
# write of the lines (triggers, migrations industry 0006 and 0007); a round whose lines were not
# written since has none (0).
_VERSIONS_SQL = """
SELECT 0, r.id, COALESCE(v.version, 0)
  FROM industry_demandround r
  LEFT JOIN industry_lineversion v ON v.round_id = r.id
 WHERE r.id = %s OR (r.opens_at < %s AND r.state <> %s)
UNION ALL
SELECT 1, material_id, version FROM industry_linematerialversion WHERE round_id = %s
UNION ALL
SELECT 2, 0, version FROM core_organisationnamesversion
"""


@dataclass(frozen=True)
class RoundVersions:
    """The version of a round's lines, of each material's lines in it, and of the earlier rounds'
    lines (the firms' history)."""

    round_id: int
    version: int
    earlier: tuple[tuple[int, int], ...]  # (round id, version), by id
    materials: tuple[tuple[int, int], ...] = ()  # (material id, version), by id
    names: int = 0  # the organisations' names (core 0009): raised by any rename

    @property
    def earlier_ids(self) -> list[int]:
        return [pk for pk, _version in self.earlier]

    @property
    def material_ids(self) -> list[int]:
        """The materials this round has (or had) lines of."""
        return [pk for pk, _version in self.materials]

    def round_key(self, what: str, *parts, with_earlier: bool = False):
        """A cache key for a figure of every material at once: it changes with any material's
        version (and the earlier rounds' when ``with_earlier``)."""
        raw = repr((parts, self.materials, self.earlier if with_earlier else ()))
        digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"screening:{STORE_FORMAT}:{self.round_id}:all:{what}:{digest}"

    def material_key(self, what: str, material_id: int, *parts, with_earlier: bool = False):
        """A cache key for a figure derived from one material's lines in this round (and the
        earlier rounds' lines when ``with_earlier``): a write of those lines changes the key, so
        a stored figure is never read after the lines it was computed from changed."""
        version = dict(self.materials).get(material_id, 0)
        raw = repr((parts, self.earlier if with_earlier else ()))
        digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"screening:{STORE_FORMAT}:{self.round_id}:m{material_id}:{version}:{what}:{digest}"


def round_versions(round: DemandRound) -> RoundVersions:
    with connection.cursor() as cursor:
        cursor.execute(_VERSIONS_SQL, [round.pk, round.opens_at, RoundState.DRAFT, round.pk])
        rows = cursor.fetchall()
    rounds = {pk: version for kind, pk, version in rows if kind == 0}
    materials = tuple(sorted((pk, version) for kind, pk, version in rows if kind == 1))
    names = next((version for kind, _pk, version in rows if kind == 2), 0)
    version = rounds.pop(round.pk, 0)
    return RoundVersions(round.pk, version, tuple(sorted(rounds.items())), materials, names)


_NOTHING = "-"  # stored for a material without the figure (a median of fewer than 3 lines)


def stored_per_material(
    versions: RoundVersions, what: str, parts: tuple, compute, *, whole: bool = True, **kw
) -> dict:
    """{material id: figure} for the round's materials, each stored under its material's version:
    ``compute(material ids)`` is called once for the materials whose figure is missing (none
    stored yet, or their lines changed) and returns {material id: figure} for those. With
    ``whole``, the dict is also stored under all the materials' versions at once: a view that
    finds it reads one entry instead of one per material (30 in a national round); a caller that
    stores what it derives from the dict instead passes ``whole=False``."""
    whole_key = versions.round_key(what, *parts, **kw) if whole else None
    kept = cache.get(whole_key) if whole else None
    if kept is not None:
        return kept
    keys = {mid: versions.material_key(what, mid, *parts, **kw) for mid in versions.material_ids}
    found = cache.get_many(list(keys.values()))
    missing = [mid for mid, key in keys.items() if key not in found]
    if missing:
        computed = compute(missing)
        fresh = {keys[mid]: computed.get(mid, _NOTHING) for mid in missing}
        cache.set_many(fresh, STATISTICS_TIMEOUT)
        found.update(fresh)
    result = {mid: found[key] for mid, key in keys.items() if found[key] != _NOTHING}
    if whole:
        cache.set(whole_key, result, STATISTICS_TIMEOUT)
    return result


# ---- a round's lines in figures: what the desk's round page and dashboard show -----------------

# Per material, the lines that are not withdrawn: tonnes, counts and firms of those that count (not
# excluded either) and of all of them.
_SUMMARY_SQL = """
SELECT material_id,
       coalesce(sum(quantity_t) FILTER (WHERE NOT excluded), 0),
       coalesce(sum(quantity_t) FILTER (WHERE NOT excluded AND commitment = %s), 0),
       count(*) FILTER (WHERE NOT excluded),
       count(*),
       array_agg(DISTINCT organisation_id),
       array_agg(DISTINCT organisation_id) FILTER (WHERE NOT excluded)
  FROM industry_demandline
 WHERE round_id = %s AND material_id = ANY(%s) AND withdrawn_at IS NULL
 GROUP BY material_id
"""


@dataclass(frozen=True)
class MaterialFigures:
    """One material's lines in a round that are not withdrawn."""

    total_t: Decimal  # of the counted lines (not excluded)
    firm_t: Decimal  # of the counted lines with firm commitment
    counted_lines: int
    lines: int  # excluded ones included
    firms: frozenset[int]  # with any of these lines
    counted_firms: frozenset[int]  # with a counted line


class CountedTonnes(NamedTuple):
    """A material's counted lines (neither withdrawn nor excluded) in a round."""

    total_t: Decimal
    firm_t: Decimal
    lines: int


@dataclass(frozen=True)
class RoundSummary:
    """A round's lines that are not withdrawn, as the desk's round page and dashboard show them:
    each material's counted tonnes (total, firm, lines), and the lines and firms of the round
    (each also counting only the lines that are not excluded). Small: no firm ids."""

    materials: dict[int, CountedTonnes]
    material_lines: dict[int, int]  # lines per material, excluded ones included
    lines: int
    firms: int
    counted_lines: int
    counted_firms: int


def round_summary(round: DemandRound, versions: RoundVersions | None = None) -> RoundSummary:
    """The figures of :class:`RoundSummary`, stored per material under the version of its lines
    (a write recomputes the materials it touched, not the round's million lines) and as a whole
    under all the materials' versions (docs/screening.md, "Stored statistics")."""
    versions = versions or round_versions(round)
    key = versions.round_key("summary")
    kept = cache.get(key)
    if kept is not None:
        return kept

    def compute(material_ids):
        if connection.vendor != "postgresql":
            return _material_figures_in_python(round, material_ids)
        with connection.cursor() as cursor:
            cursor.execute(_SUMMARY_SQL, [Commitment.FIRM, round.pk, material_ids])
            return {
                mid: MaterialFigures(
                    total,
                    firm,
                    counted,
                    lines,
                    frozenset(firms or ()),
                    frozenset(counted_firms or ()),
                )
                for mid, total, firm, counted, lines, firms, counted_firms in cursor.fetchall()
            }

    per_material = stored_per_material(versions, "figures", (), compute, whole=False)
    figures = per_material.values()
    summary = RoundSummary(
        materials={
            mid: CountedTonnes(f.total_t, f.firm_t, f.counted_lines)
            for mid, f in per_material.items()
            if f.counted_lines
        },
        material_lines={mid: f.lines for mid, f in per_material.items()},
        lines=sum(f.lines for f in figures),
        firms=len(frozenset().union(*(f.firms for f in figures))),
        counted_lines=sum(f.counted_lines for f in figures),
        counted_firms=len(frozenset().union(*(f.counted_firms for f in figures))),
    )
    cache.set(key, summary, STATISTICS_TIMEOUT)
    return summary


_MATERIAL_VERSIONS_SQL = """
SELECT round_id, material_id, version FROM industry_linematerialversion WHERE round_id = ANY(%s)
"""


def round_summaries(rounds) -> dict[int, RoundSummary]:
    """:func:`round_summary` of several rounds (the desk's dashboard) in a fixed number of
    queries while their figures are stored: one for the versions, one cache read."""
    rounds = list(rounds)
    if not rounds:
        return {}
    materials: dict[int, list] = {r.pk: [] for r in rounds}
    with connection.cursor() as cursor:
        cursor.execute(*_portable(_MATERIAL_VERSIONS_SQL, [list(materials)]))
        for round_id, material_id, version in cursor.fetchall():
            materials[round_id].append((material_id, version))
    # The summary's keys depend on the materials' versions only.
    versions = {
        pk: RoundVersions(pk, 0, (), tuple(sorted(entries))) for pk, entries in materials.items()
    }
    keys = {pk: v.round_key("summary") for pk, v in versions.items()}
    found = cache.get_many(list(keys.values()))
    return {
        r.pk: found[keys[r.pk]] if keys[r.pk] in found else round_summary(r, versions[r.pk])
        for r in rounds
    }


def _material_figures_in_python(round: DemandRound, material_ids: list[int]) -> dict:
    """The same figures read line by line: SQLite (the first-run demo, a few hundred lines)."""
    rows: dict[int, list] = {}
    for material_id, organisation_id, excluded, commitment, quantity_t in DemandLine.objects.filter(
        round=round, material_id__in=material_ids, withdrawn_at__isnull=True
    ).values_list("material_id", "organisation_id", "excluded", "commitment", "quantity_t"):
        row = rows.setdefault(material_id, [Decimal(0), Decimal(0), 0, 0, set(), set()])
        row[3] += 1
        row[4].add(organisation_id)
        if not excluded:
            row[0] += quantity_t
            row[1] += quantity_t if commitment == Commitment.FIRM else 0
            row[2] += 1
            row[5].add(organisation_id)
    return {
        mid: MaterialFigures(
            total, firm, counted, lines, frozenset(firms), frozenset(firms_counted)
        )
        for mid, (total, firm, counted, lines, firms, firms_counted) in rows.items()
    }


def material_medians(round: DemandRound, versions: RoundVersions | None = None) -> dict:
    """Median tonnes per quarter of each material's counting lines in this round (materials with
    at least ``OUTLIER_MIN_LINES`` lines): the mean of the lower and upper middle values
    (``percentile_disc`` both ways), exact in numeric. Computed in one grouped scan when the
    round's lines changed, else read from the cache (docs/screening.md)."""

    def compute(material_ids):
        if connection.vendor != "postgresql":
            return _medians_in_python(round, material_ids)
        with connection.cursor() as cursor:
            cursor.execute(_MEDIANS_SQL, [round.pk, material_ids, OUTLIER_MIN_LINES])
            return {mid: (low + high) / 2 for mid, low, high in cursor.fetchall()}

    versions = versions or round_versions(round)
    return stored_per_material(versions, "medians", (OUTLIER_MIN_LINES,), compute)


def _medians_in_python(round: DemandRound, material_ids: list[int]) -> dict:
    """The same medians read line by line: SQLite (the first-run demo, a few hundred lines) has
    no ``percentile_disc``."""
    per_material: dict[int, list[Decimal]] = {}
    for material_id, is_year, quantity_t in DemandLine.objects.filter(
        round=round, material_id__in=material_ids, withdrawn_at__isnull=True, excluded=False
    ).values_list("material_id", "is_year", "quantity_t"):
        per_material.setdefault(material_id, []).append(quantity_t / 4 if is_year else quantity_t)
    return {
        mid: statistics.median(values)
        for mid, values in per_material.items()
        if len(values) >= OUTLIER_MIN_LINES
    }


def _portable(sql: str, params: list) -> tuple[str, list]:
    """``sql`` for the database in use. PostgreSQL takes each list as one array parameter
    (``= ANY(%s)``); other databases (SQLite, the first-run demo) get ``IN (%s, …)`` with one
    placeholder per item."""
    if connection.vendor == "postgresql":
        return sql, params
    parts = sql.split("%s")
    text, flat = parts[0], []
    for param, rest in zip(params, parts[1:], strict=True):
        if isinstance(param, list | tuple):
            text = text.removesuffix("= ANY(") + "IN (" + ", ".join(["%s"] * len(param))
            flat.extend(param)
        else:
            text += "%s"
            flat.append(param)
        text += rest
    return text, flat


def earlier_averages(
    earlier: list[int], pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], Decimal]:
    """Each given (firm, material)'s average tonnes per quarter in the ``earlier`` rounds."""
    if not earlier or not pairs:
        return {}
    orgs, materials = sorted({p[0] for p in pairs}), sorted({p[1] for p in pairs})
    with connection.cursor() as cursor:
        cursor.execute(*_portable(_EARLIER_SQL, [earlier, orgs, materials]))
        # SQLite (the demo) hands sums back as floats: as decimals, the flags compare exactly.
        return {
            (org, material): (total if isinstance(total, Decimal) else Decimal(str(total))) / n
            for org, material, total, n in cursor.fetchall()
            if (org, material) in pairs
        }


def flagged_q(round: DemandRound, earlier: list[int], medians: dict, material_id=None) -> Q:
    """The lines above the factor times their material's median or their firm's earlier average
    (the same rule as the flags shown); for one material only when ``material_id`` is given.
    Needs the ``screen_per_quarter_t`` annotation."""
    above = Q(pk__in=[])
    for mid, median in medians.items():
        if material_id is None or mid == material_id:
            above |= Q(material_id=mid, screen_per_quarter_t__gt=OUTLIER_FACTOR * median)
    if earlier and material_id is None:
        sql = _portable(_ABOVE_EARLIER_SQL, [earlier, round.pk, OUTLIER_FACTOR])
        above |= Q(pk__in=RawSQL(*sql))  # noqa: S611 - constant SQL
    elif earlier:
        params = [earlier, material_id, round.pk, material_id, OUTLIER_FACTOR]
        above |= Q(pk__in=RawSQL(*_portable(_ABOVE_EARLIER_ONE_MATERIAL_SQL, params)))  # noqa: S611 - constant SQL
    return above


def summary_totals(summary: RoundSummary) -> list[MaterialTotal]:
    """The summary's counted tonnes per material, as :func:`selectors.material_totals` gives them
    for a set of lines (materials with a counted line, in display order)."""
    counted = summary.materials
    return [
        MaterialTotal(
            material=m,
            total_t=counted[m.pk].total_t,
            firm_t=counted[m.pk].firm_t,
            lines=counted[m.pk].lines,
        )
        for m in Material.objects.filter(pk__in=counted)
    ]
