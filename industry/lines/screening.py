"""The desk's screening of a round's lines: every line with its firm, filtered, sorted and flagged
as an outlier, in pages, on a round of a million lines (docs/screening.md); and the desk's API list
of a whole round, read the same way (:class:`RoundByMaterial`). The figures both derive from the
whole round are in :mod:`industry.lines.figures`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_number, format_tonnes
from rohstoff.core.links import row_link
from rohstoff.core.models import Material, Organisation, User

from .. import policy
from ..models import Commitment, DemandLine, DemandLineHistory, DemandRound
from .figures import (
    OUTLIER_FACTOR,
    PER_QUARTER,
    STATISTICS_TIMEOUT,
    RoundVersions,
    earlier_averages,
    flagged_q,
    material_medians,
    round_summary,
    round_versions,
    stored_per_material,
)
from .selectors import lines_visible_to

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
        return flagged_q(self._round, self._earlier, self._medians, material_id)

    def _load(self, qs):
        # The page shows the firm and the material, not who entered the line.
        return (
            qs.annotate(per_quarter_t=PER_QUARTER)
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
        qs = qs.annotate(screen_per_quarter_t=PER_QUARTER)
    # The materials in their display order; the material filter picks from the stored counts.
    materials = list(Material.objects.order_by("sort_order", "pk").values_list("pk", "code"))

    def count(material_ids):
        counted = qs.filter(material_id__in=material_ids)
        if flagged:
            counted = counted.filter(flagged_q(round, earlier, medians))
        rows = counted.order_by().values_list("material_id").annotate(n=Count("pk"))
        return dict(rows)

    counts = stored_per_material(
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

    per_material = stored_per_material(
        versions or round_versions(round), "firms", (FIRM_LIST_LIMIT,), compute
    )
    ids: set[int] = set()
    for firms in per_material.values():
        ids.update(firms)
        if len(ids) > FIRM_LIST_LIMIT:
            return None
    return Organisation.objects.filter(pk__in=sorted(ids)).order_by("name")


class RoundByMaterial:
    """The desk's list of every line of a round (not withdrawn) for the API's paginator, in the
    list's order (material, first quarter, year flag, id) without sorting the round: the stored lines
    per material (``figures.round_summary``) give the count and say which materials a page
    covers; for each, the page's ids come from the index on (round, material, first quarter),
    and one query reads their values. A page deep into a round of a million lines costs what the
    first does (docs/benchmarks.md)."""

    ordered = True

    def __init__(self, round: DemandRound, lines: QuerySet[DemandLine], values_of, *, id_at: int):
        summary = round_summary(round)
        order = Material.objects.filter(pk__in=summary.material_lines).order_by("sort_order", "pk")
        self.counts = [
            (pk, summary.material_lines[pk]) for pk in order.values_list("pk", flat=True)
        ]
        self.lines, self.values_of, self.id_at = lines, values_of, id_at

    def count(self) -> int:
        return sum(n for _pk, n in self.counts)

    def __getitem__(self, index: slice):
        start, stop = index.start or 0, index.stop
        ids, offset = [], 0
        for material_id, n in self.counts:
            low, high = max(start - offset, 0), min(stop - offset, n)
            if low < high:
                ids += (
                    self.lines.filter(material_id=material_id)
                    .order_by("first_quarter", "is_year", "pk")
                    .values_list("pk", flat=True)[low:high]
                )
            offset += n
            if offset >= stop:
                break
        # ``values_of`` gives the API's rows as plain values; ``id_at`` is the id's place in them.
        rows = {row[self.id_at]: row for row in self.values_of(self.lines.filter(pk__in=ids))}
        return [rows[pk] for pk in ids if pk in rows]
