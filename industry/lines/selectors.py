"""Reads of demand lines: the lines a user sees, totals per material, and the desk's screening."""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_number, format_tonnes
from rohstoff.core.links import row_link
from rohstoff.core.models import Material, Organisation, User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    Commitment,
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


# What the member's grid shows of a line (industry/_lines_table.html, _line_edit_row.html), read as
# plain values: a page of 100 lines as model objects with their firm, material and user cost more
# to read, build and render than the rest of the page (docs/benchmarks.md).
GRID_COLUMNS = (
    "pk",
    "material__name_de",
    "material__name_en",
    "period",
    "quantity",
    "unit",
    "quantity_t",
    "commitment",
    "grade",
    "delivery_country",
    "excluded",
    "exclusion_reason",
    "entered_by__full_name",
    "entered_by__email",
    "version",
)


def grid_lines(lines: QuerySet[DemandLine]) -> QuerySet:
    """``lines`` as the values the member's grid shows; a page of them goes to :func:`grid_rows`."""
    return lines.values(*GRID_COLUMNS)


def grid_rows(values, *, round: DemandRound) -> list[dict]:
    """Rows of :func:`grid_lines` with what the grid shows in words: the material's name in the
    reader's language, the commitment's label, who entered the line (name, else e-mail, as
    ``User.get_full_name``) and the links to change and withdraw it."""
    labels = dict(Commitment.choices)
    by = _("by %(name)s")
    edit_url = row_link("industry:line_edit", round.pk)
    withdraw_url = row_link("industry:line_withdraw", round.pk)
    rows = []
    for row in values:
        row["material_name"] = Material.name_in_language(
            row.pop("material__name_de"), row.pop("material__name_en")
        )
        row["commitment_label"] = labels.get(row["commitment"], row["commitment"])
        full_name, email = row.pop("entered_by__full_name"), row.pop("entered_by__email")
        row["entered_by_name"] = full_name or email
        row["entered_by_label"] = by % {"name": row["entered_by_name"]}
        row["edit_url"], row["withdraw_url"] = edit_url(row["pk"]), withdraw_url(row["pk"])
        rows.append(row)
    return rows


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
# The default order within one material: the index (round, material, first quarter) hands the
# lines over by quarter, PostgreSQL sorts each quarter's few thousand lines by firm.
_WITHIN_MATERIAL = ["first_quarter", "organisation__name", "is_year", "pk"]

STATISTICS_TIMEOUT = 24 * 3600  # seconds; an entry is never stale (keyed by the lines' version)


@dataclass
class ScreenedLine:
    """A line as the screening shows it: the words and links of its row worked out once here, so
    that a page of rows costs no lookups or ``reverse()`` per row in the template."""

    line: DemandLine
    per_quarter_t: Decimal
    flags: list[str]
    history: list = field(default_factory=list)  # earlier versions, newest first
    exclude_url: str = ""
    restore_url: str = ""
    firm: str = ""
    material: str = ""
    commitment: str = ""

    @property
    def pk(self) -> str:
        return str(self.line.pk)

    @property
    def label(self) -> str:
        """Which line a button acts on, for a screen reader: firm, material, period."""
        return f"{self.firm} {self.material} {self.line.period}"


# Tonnes per quarter of a line, in SQL (a year line counts a quarter of its tonnes).
PER_QUARTER_SQL = "CASE WHEN is_year THEN quantity_t / 4 ELSE quantity_t END"
_PER_QUARTER = Case(When(is_year=True, then=F("quantity_t") / 4), default=F("quantity_t"))

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


def _stored_per_material(versions: RoundVersions, what: str, parts: tuple, compute, **kw) -> dict:
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
    return _stored_per_material(versions, "medians", (OUTLIER_MIN_LINES,), compute)


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


def _flagged_q(round: DemandRound, earlier: list[int], medians: dict, material_id=None) -> Q:
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


class Screening(Sequence):
    """The lines the desk screens, filtered and in order, as a sequence that the paginator slices.

    The per-material counts and the medians are stored per version of the round's lines (a view
    does not rescan the round); the database sorts and slices the page. In the default order
    (material, period, firm) a page is read material by material from the index that leads with
    round and material, using the stored counts to find where the page starts; the other orders
    sort in the database. Python sees only the slice that is shown (docs/screening.md).

    In the default order the ids of a page's part of each material are stored too, under the
    version of that material's lines and of the firms' names (the order within a material is by
    firm name): the next view of the same page reads no index range and sorts nothing."""

    def __init__(
        self,
        *,
        lines,
        round,
        versions,
        earlier,
        medians,
        counts,
        materials,
        sort,
        flagged,
        filters=(),
    ):
        self.versions = versions
        self._lines, self._round, self._earlier, self._medians = lines, round, earlier, medians
        self._counts, self._materials, self._sort, self._flagged = counts, materials, sort, flagged
        self._filters = filters

    def __len__(self) -> int:
        return sum(self._counts.values())

    def __iter__(self):  # one load for all, not one per line through __getitem__
        return iter(self[:])

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        start, stop, _step = index.indices(len(self))
        if start >= stop:
            return []
        if self._sort == "material":
            lines = self._by_material(start, stop)
        else:
            qs = self._lines.filter(self._flag_filter()) if self._flagged else self._lines
            lines = list(self._load(qs.order_by(*SORTS[self._sort]))[start:stop])
        # Each line's earlier versions, newest first, in one query (a prefetch would build a
        # related manager per line).
        history: dict[int, list[DemandLineHistory]] = {line.pk: [] for line in lines}
        for entry in DemandLineHistory.objects.filter(line_id__in=list(history)).select_related(
            "changed_by"
        ):
            history[entry.line_id].append(entry)
        averages = earlier_averages(
            self._earlier, {(line.organisation_id, line.material_id) for line in lines}
        )
        exclude_url = row_link("industry:line_exclude", self._round.pk)
        restore_url = row_link("industry:line_restore", self._round.pk)
        commitments = dict(Commitment.choices)
        return [
            ScreenedLine(
                line=line,
                per_quarter_t=line.per_quarter_t,
                flags=self._flags(
                    self._medians.get(line.material_id),
                    averages.get((line.organisation_id, line.material_id)),
                    line.per_quarter_t,
                ),
                history=history[line.pk],
                exclude_url=exclude_url(line.pk),
                restore_url=restore_url(line.pk),
                firm=line.organisation.name,
                material=line.material.name,
                commitment=commitments.get(line.commitment, line.commitment),
            )
            for line in lines
        ]

    def _flag_filter(self, material_id=None) -> Q:
        return _flagged_q(self._round, self._earlier, self._medians, material_id)

    def _load(self, qs):
        # The page shows the firm and the material, not who entered the line.
        return (
            qs.annotate(per_quarter_t=_PER_QUARTER)
            .select_related(None)
            .select_related("material", "organisation")
        )

    def _by_material(self, start: int, stop: int) -> list[DemandLine]:
        """The lines ``start:stop`` in the default order: the stored counts say which materials
        the page covers; for each, the page's ids come from the index alone (it includes the
        firm, the year flag and the id; only the firms' names are looked up), then one query
        loads those lines."""
        ranges, offset = [], 0
        for material_id in self._materials:
            n = self._counts.get(material_id, 0)
            low, high = max(start - offset, 0), min(stop - offset, n)
            if low < high:
                ranges.append((material_id, low, high))
            offset += n
            if offset >= stop:
                break
        keys = {
            (material_id, low, high): self.versions.material_key(
                "page",
                material_id,
                self._filters,
                self._flagged,
                low,
                high,
                self.versions.names,
                with_earlier=self._flagged,
            )
            for material_id, low, high in ranges
        }
        stored = cache.get_many(list(keys.values())) if keys else {}
        ids, fresh = [], {}
        for part, key in keys.items():
            if key not in stored:
                material_id, low, high = part
                qs = self._lines.filter(material_id=material_id)
                if self._flagged:
                    qs = qs.filter(self._flag_filter(material_id))
                fresh[key] = list(
                    qs.order_by(*_WITHIN_MATERIAL).values_list("pk", flat=True)[low:high]
                )
            ids += stored[key] if key in stored else fresh[key]
        if fresh:
            cache.set_many(fresh, STATISTICS_TIMEOUT)
        by_id = {line.pk: line for line in self._load(self._lines.filter(pk__in=ids))}
        return [by_id[pk] for pk in ids if pk in by_id]

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


def screening_lines(
    *,
    user: User,
    round: DemandRound,
    firm: str = "",
    firm_name: str = "",
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
    sort = sort if sort in SORTS else "material"
    qs = lines_visible_to(user, round=round, include_withdrawn=True)
    filters = []
    if firm:
        qs = qs.filter(organisation_id=firm) if str(firm).isdigit() else qs.none()
        filters.append(("firm", int(firm) if str(firm).isdigit() else None))
    if firm_name:
        # A firm's name may change: the stored count is keyed by the firms that match now.
        ids = sorted(
            Organisation.objects.filter(name__icontains=firm_name[:200]).values_list(
                "pk", flat=True
            )
        )
        qs = qs.filter(organisation_id__in=ids)
        filters.append(("firm_name", tuple(ids)))
    if period:
        qs = qs.filter(period=period.strip().upper())
        filters.append(("period", period.strip().upper()))
    if commitment:
        qs = qs.filter(commitment=commitment)
        filters.append(("commitment", commitment))
    if status == "active":
        qs = qs.filter(withdrawn_at__isnull=True, excluded=False)
    elif status == "excluded":
        qs = qs.filter(excluded=True)
    elif status == "withdrawn":
        qs = qs.filter(withdrawn_at__isnull=False)
    if status in ("active", "excluded", "withdrawn"):
        filters.append(("status", status))
    versions = round_versions(round)
    medians, earlier = material_medians(round, versions), versions.earlier_ids
    if flagged:
        qs = qs.annotate(screen_per_quarter_t=_PER_QUARTER)
    # The materials in their display order; the material filter picks from the stored counts.
    materials = list(Material.objects.order_by("sort_order", "pk").values_list("pk", "code"))

    def count(material_ids):
        counted = qs.filter(material_id__in=material_ids)
        if flagged:
            counted = counted.filter(_flagged_q(round, earlier, medians))
        rows = counted.order_by().values_list("material_id").annotate(n=Count("pk"))
        return dict(rows)

    counts = _stored_per_material(
        versions, "counts", (tuple(filters), flagged), count, with_earlier=flagged
    )
    if material:
        chosen = {pk for pk, code in materials if code == material}
        counts = {pk: n for pk, n in counts.items() if pk in chosen}
        qs = qs.filter(material_id__in=chosen)
    return Screening(
        lines=qs,
        round=round,
        versions=versions,
        earlier=earlier,
        medians=medians,
        counts=counts,
        materials=[pk for pk, _code in materials],
        sort=sort,
        flagged=flagged,
        filters=tuple(filters),
    )


# Up to this many firms the screening offers them in a list; above, a search by name.
FIRM_LIST_LIMIT = 200


def round_firms(round: DemandRound, versions: RoundVersions | None = None) -> QuerySet | None:
    """The firms with lines in the round for the screening's firm list, by name, or None when
    there are more than ``FIRM_LIST_LIMIT`` (the page offers a search by name instead). Which
    firms those are is stored per material, under the version of its lines; the names are read
    fresh."""

    def compute(material_ids):
        # Each material's firms, from the lines' (material, firm) pairs hashed once: a national
        # round has a million lines; a write of one material's lines recomputes that material's.
        # A material with more firms than the list shows keeps one over the limit: that alone
        # says "search by name", and what is stored and read per view stays small.
        pairs = (
            DemandLine.objects.filter(round=round, material_id__in=material_ids)
            .order_by()
            .values_list("material_id", "organisation_id")
            .distinct()
        )
        firms: dict[int, list[int]] = {}
        for material_id, organisation_id in pairs:
            firms.setdefault(material_id, []).append(organisation_id)
        return {mid: ids[: FIRM_LIST_LIMIT + 1] for mid, ids in firms.items()}

    per_material = _stored_per_material(
        versions or round_versions(round), "firms", (FIRM_LIST_LIMIT,), compute
    )
    ids: set[int] = set()
    for firms in per_material.values():
        ids.update(firms)
        if len(ids) > FIRM_LIST_LIMIT:
            return None
    return Organisation.objects.filter(pk__in=sorted(ids)).order_by("name")
