"""The figures the desk's screening derives from a whole round (docs/screening.md): the versions of
its lines, each material's median, the firms' averages in earlier rounds and which lines are
outliers, stored per version of the lines they come from so that a view never rescans a round of a
million lines. The pages themselves are in :mod:`industry.lines.screening`."""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, Q, When
from django.db.models.expressions import RawSQL

from ..models import DemandLine, DemandRound, RoundState

# A line is flagged when its tonnes per quarter exceed this multiple of the material's median in
# the round, or of the firm's own average for the material in its earlier rounds.
OUTLIER_FACTOR = Decimal("3")
OUTLIER_MIN_LINES = 3  # a median of fewer lines says little

STATISTICS_TIMEOUT = 24 * 3600  # seconds; an entry is never stale (keyed by the lines' version)


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
        return f"screening:{self.round_id}:all:{what}:{digest}"

    def material_key(self, what: str, material_id: int, *parts, with_earlier: bool = False):
        """A cache key for a figure derived from one material's lines in this round (and the
        earlier rounds' lines when ``with_earlier``): a write of those lines changes the key, so
        a stored figure is never read after the lines it was computed from changed."""
        version = dict(self.materials).get(material_id, 0)
        raw = repr((parts, self.earlier if with_earlier else ()))
        digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"screening:{self.round_id}:m{material_id}:{version}:{what}:{digest}"


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


def stored_per_material(versions: RoundVersions, what: str, parts: tuple, compute, **kw) -> dict:
    """{material id: figure} for the round's materials, each stored under its material's version:
    ``compute(material ids)`` is called once for the materials whose figure is missing (none
    stored yet, or their lines changed) and returns {material id: figure} for those."""
    # The whole dict is also stored under all the materials' versions at once: a view that
    # finds it reads one entry instead of one per material (30 in a national round).
    whole = versions.round_key(what, *parts, **kw)
    kept = cache.get(whole)
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
    cache.set(whole, result, STATISTICS_TIMEOUT)
    return result


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
