"""Writes of tradinghouse: the aggregation of a round's demand lines into procurement positions.

The aggregation runs in the database: one ``INSERT ... SELECT ... GROUP BY`` pools the active lines
into firm positions (one firm's demand per cell, with the year-to-quarter split done in SQL), two
set-based reads compute each cell's and each element roll-up's statistics with window functions,
and only those few statistics come to Python for disclosure control. Each phase runs in its own
transaction and reports its progress; the finished set is made current in one small transaction,
so readers see the old positions or the new ones, never a mix. A failure leaves the previous set
current and the job failed with a readable reason.

Quantities travel through SQL as integer micro-tonnes (``quantity_t * 10**6``, exact in
PostgreSQL and SQLite alike), which makes the half-to-even split of a year exact: PostgreSQL's
``round()`` rounds half away from zero, so the rounding is written out in SQL below.

A round's earlier published sets are kept as long as a figure they disclosed could still be
compared with a new one (docs/disclosure.md, "Re-published positions"): three more set-based
queries compute, per cell and per roll-up cell, how each firm's demand changed since each such set
(keeping only the firms that changed), and
disclosure control hides a figure whose change would reveal a firm. An earlier set whose every
disclosed figure the new set shows unchanged is removed after publishing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from industry.models import Commitment, DemandLine, DemandRound, RoundState
from rohstoff.core.audit import audit_record
from rohstoff.core.chemistry import LCE_PER_LITHIUM
from rohstoff.core.errors import StateConflict
from rohstoff.core.jobs import JobReporter, active_job_for, job_start
from rohstoff.core.models import Job, JobState, Material
from rohstoff.core.units import TONNE_PLACES

from . import disclosure
from .models import ElementCell, FirmPosition, PositionCell, PositionSet
from .supply import supply_for_round

log = logging.getLogger(__name__)

AGGREGATION_JOB = "tradinghouse.aggregate"
AGGREGATABLE_STATES = (RoundState.CLOSED, RoundState.AGGREGATED)
MICRO = 1_000_000
SHARE_PLACES = Decimal("0.000001")


def quarter_share_sql(micro: str) -> str:
    """SQL for round_half_even(micro / 4) of a non-negative integer expression ``micro``.

    Integer division truncates in both PostgreSQL and SQLite; with the remainder r of the division
    by 4, r = 3 rounds up, r = 2 (exactly half) rounds to the even neighbour, r < 2 rounds down.
    """
    # "%%" is a literal "%" (modulo) in a query that is executed with parameters.
    return (
        f"(({micro}) / 4 + CASE ({micro}) %% 4 WHEN 3 THEN 1 "
        f"WHEN 2 THEN (({micro}) / 4) %% 2 ELSE 0 END)"
    )


def _tables() -> dict[str, str]:
    return {
        "line": DemandLine._meta.db_table,
        "fp": FirmPosition._meta.db_table,
        "material": Material._meta.db_table,
        "set": PositionSet._meta.db_table,
        "cell": PositionCell._meta.db_table,
        "element_cell": ElementCell._meta.db_table,
    }


# Splits each active line into its quarters (a quarter line into one, a year line into four, the
# fourth taking the remainder) and pools them per firm, material and quarter in micro-tonnes, into
# a temporary table: PostgreSQL may run CREATE TABLE AS with parallel workers, INSERT ... SELECT
# not. ``line_count`` counts each line once (at its first quarter).
POOL_SQL = """
CREATE TEMPORARY TABLE pooled_demand AS
SELECT s.organisation_id AS organisation_id, s.material_id AS material_id, s.quarter AS quarter,
       SUM(s.q) AS micro,
       SUM(CASE WHEN s.commitment = %(firm)s THEN s.q ELSE 0 END) AS firm_micro,
       SUM(CASE WHEN s.commitment = %(firm)s THEN 0 ELSE s.q END) AS indicative_micro,
       SUM(CASE WHEN s.k = 0 THEN 1 ELSE 0 END) AS line_count
FROM (
    SELECT l.organisation_id, l.material_id, l.commitment, k.k, l.first_quarter + k.k AS quarter,
           CASE WHEN k.k = 3 THEN l.micro - 3 * {share}
                WHEN l.is_year THEN {share}
                ELSE l.micro END AS q
    FROM (
        SELECT organisation_id, material_id, commitment, first_quarter, is_year,
               CAST(ROUND(quantity_t * 1000000) AS BIGINT) AS micro
        FROM {line}
        WHERE round_id = %(round_id)s AND withdrawn_at IS NULL AND excluded = %(false)s
    ) l
    JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) k
      ON k.k = 0 OR l.is_year
) s
GROUP BY s.organisation_id, s.material_id, s.quarter
"""

# Cells exist only where demand > 0 (a tiny year line can leave a quarter with nothing).
FIRM_POSITIONS_SQL = """
INSERT INTO {fp} (position_set_id, organisation_id, material_id, quarter,
                  demand_t, demand_firm_t, demand_indicative_t)
SELECT %(set_id)s, organisation_id, material_id, quarter,
       micro / 1000000.0, firm_micro / 1000000.0, indicative_micro / 1000000.0
FROM pooled_demand
WHERE micro > 0
"""

# Per cell: contributors, total and the two largest firms, for the total and for each part.
CELL_STATS_SQL = """
SELECT material_id, quarter,
       COUNT(*), SUM(t), MAX(t), SUM(CASE WHEN rt = 2 THEN t ELSE 0 END),
       SUM(CASE WHEN f > 0 THEN 1 ELSE 0 END), SUM(f), MAX(f), SUM(CASE WHEN rf = 2 THEN f ELSE 0 END),
       SUM(CASE WHEN i > 0 THEN 1 ELSE 0 END), SUM(i), MAX(i), SUM(CASE WHEN ri = 2 THEN i ELSE 0 END)
FROM (
    SELECT material_id, quarter, t, f, i,
           ROW_NUMBER() OVER (PARTITION BY material_id, quarter ORDER BY t DESC) AS rt,
           ROW_NUMBER() OVER (PARTITION BY material_id, quarter ORDER BY f DESC) AS rf,
           ROW_NUMBER() OVER (PARTITION BY material_id, quarter ORDER BY i DESC) AS ri
    FROM (
        SELECT material_id, quarter,
               CAST(ROUND(demand_t * 1000000) AS BIGINT) AS t,
               CAST(ROUND(demand_firm_t * 1000000) AS BIGINT) AS f,
               CAST(ROUND(demand_indicative_t * 1000000) AS BIGINT) AS i
        FROM {fp} WHERE position_set_id = %(set_id)s
    ) x
) y
GROUP BY material_id, quarter
"""

# Per element and quarter: the contained element of each firm (over all materials of the
# element), then contributors, total and the two largest firms. Micro-tonnes of material times the
# element content: exact in PostgreSQL's numeric.
ELEMENT_STATS_SQL = """
SELECT element, quarter, COUNT(*), SUM(c), MAX(c), SUM(CASE WHEN r = 2 THEN c ELSE 0 END)
FROM (
    SELECT element, quarter, c,
           ROW_NUMBER() OVER (PARTITION BY element, quarter ORDER BY c DESC) AS r
    FROM (
        SELECT m.element AS element, fp.quarter AS quarter, fp.organisation_id,
               SUM(CAST(ROUND(fp.demand_t * 1000000) AS BIGINT) * m.element_content) AS c
        FROM {fp} fp JOIN {material} m ON m.id = fp.material_id
        WHERE fp.position_set_id = %(set_id)s
        GROUP BY m.element, fp.quarter, fp.organisation_id
    ) a
) b
GROUP BY element, quarter
"""


def _change_columns(x: str) -> str:
    """Net change, firms that changed, sum, largest and second largest of |x| (x: a per-firm
    change, ``r{x}`` its rank by size), named ``{x}_net``, ``{x}_n`` ..."""
    return (
        f"SUM({x}) AS {x}_net, SUM(CASE WHEN {x} <> 0 THEN 1 ELSE 0 END) AS {x}_n, "
        f"SUM(ABS({x})) AS {x}_sum, MAX(ABS({x})) AS {x}_max, "
        f"SUM(CASE WHEN r{x} = 2 THEN ABS({x}) ELSE 0 END) AS {x}_second"
    )


def _change_names(x: str) -> str:
    return ", ".join(f"y.{x}_{name}" for name in ("net", "n", "sum", "max", "second"))


# The round's earlier published sets: a reader may have kept any of them.
EARLIER_SETS_SQL = """
SELECT id AS v FROM {set}
WHERE round_id = %(round_id)s AND published_at IS NOT NULL AND id <> %(set_id)s
"""

# Per earlier published set, each firm's change of demand (and of its firm and indicative parts)
# in each cell since that set, in micro-tonnes (a firm missing on one side counts as 0). Only
# firms whose demand changed are kept: usually none, e.g. after a refresh for contracted volumes.
# One join of the new set's firm positions with each earlier set's; no grouping per firm.
FIRM_CHANGES_SQL = """
CREATE TEMPORARY TABLE firm_changes AS
SELECT COALESCE(n.v, o.position_set_id) AS v,
       COALESCE(n.material_id, o.material_id) AS material_id,
       COALESCE(n.quarter, o.quarter) AS quarter,
       COALESCE(n.organisation_id, o.organisation_id) AS organisation_id,
       CAST(ROUND((COALESCE(n.demand_t, 0) - COALESCE(o.demand_t, 0)) * 1000000) AS BIGINT) AS t,
       CAST(ROUND((COALESCE(n.demand_firm_t, 0) - COALESCE(o.demand_firm_t, 0)) * 1000000)
            AS BIGINT) AS f,
       CAST(ROUND((COALESCE(n.demand_indicative_t, 0) - COALESCE(o.demand_indicative_t, 0))
                  * 1000000) AS BIGINT) AS i
FROM (
    SELECT e.v, fp.organisation_id, fp.material_id, fp.quarter,
           fp.demand_t, fp.demand_firm_t, fp.demand_indicative_t
    FROM {fp} fp JOIN ({earlier}) e ON fp.position_set_id = %(set_id)s
) n
FULL OUTER JOIN (
    SELECT fp.position_set_id, fp.organisation_id, fp.material_id, fp.quarter,
           fp.demand_t, fp.demand_firm_t, fp.demand_indicative_t
    FROM {fp} fp JOIN ({earlier}) e ON fp.position_set_id = e.v
) o ON o.position_set_id = n.v AND o.organisation_id = n.organisation_id
   AND o.material_id = n.material_id AND o.quarter = n.quarter
WHERE n.v IS NULL OR o.position_set_id IS NULL OR n.demand_t <> o.demand_t
   OR n.demand_firm_t <> o.demand_firm_t OR n.demand_indicative_t <> o.demand_indicative_t
"""

# Per earlier set and cell it disclosed: the statistics of the firms' changes of demand and of
# each part (NULL where no firm changed), and whether that set showed the parts too.
CHANGE_STATS_SQL = """
SELECT e.v, e.material_id, e.quarter, e.parts, {cols_t}, {cols_f}, {cols_i}
FROM (
    SELECT c.position_set_id AS v, c.material_id AS material_id, c.quarter AS quarter,
           CASE WHEN c.firm_disclosed AND c.indicative_disclosed THEN 1 ELSE 0 END AS parts
    FROM {cell} c JOIN ({earlier}) s ON s.v = c.position_set_id
    WHERE c.disclosed = %(true)s
) e
LEFT JOIN (
    SELECT v, material_id, quarter, {t}, {f}, {i}
    FROM (
        SELECT v, material_id, quarter, t, f, i,
               ROW_NUMBER() OVER (PARTITION BY v, material_id, quarter ORDER BY ABS(t) DESC) AS rt,
               ROW_NUMBER() OVER (PARTITION BY v, material_id, quarter ORDER BY ABS(f) DESC) AS rf,
               ROW_NUMBER() OVER (PARTITION BY v, material_id, quarter ORDER BY ABS(i) DESC) AS ri
        FROM firm_changes
    ) w
    GROUP BY v, material_id, quarter
) y ON y.v = e.v AND y.material_id = e.material_id AND y.quarter = e.quarter
"""

# The same for roll-up cells, on each firm's change of contained element (over all materials of
# the element, with today's element contents).
ELEMENT_CHANGE_STATS_SQL = """
SELECT e.v, e.element, e.quarter, {cols_c}
FROM (
    SELECT c.position_set_id AS v, c.element AS element, c.quarter AS quarter
    FROM {element_cell} c JOIN ({earlier}) s ON s.v = c.position_set_id
    WHERE c.disclosed = %(true)s
) e
LEFT JOIN (
    SELECT v, element, quarter, {c}
    FROM (
        SELECT v, element, quarter, c,
               ROW_NUMBER() OVER (PARTITION BY v, element, quarter ORDER BY ABS(c) DESC) AS rc
        FROM (
            SELECT x.v AS v, m.element AS element, x.quarter AS quarter, x.organisation_id,
                   SUM(x.t * m.element_content) AS c
            FROM firm_changes x JOIN {material} m ON m.id = x.material_id
            GROUP BY x.v, m.element, x.quarter, x.organisation_id
        ) a
        WHERE c <> 0
    ) w
    GROUP BY v, element, quarter
) y ON y.v = e.v AND y.element = e.element AND y.quarter = e.quarter
"""


def _change_sql(sql: str, tables: dict) -> str:
    return sql.format(
        earlier=EARLIER_SETS_SQL.format(**tables),
        t=_change_columns("t"),
        f=_change_columns("f"),
        i=_change_columns("i"),
        c=_change_columns("c"),
        **{f"cols_{x}": _change_names(x) for x in "tfic"},
        **tables,
    )


def _micro(value) -> Decimal:
    """A micro-tonne figure from the database as exact tonnes (SQLite may hand back a float)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value) / MICRO


def _tonnes(value: Decimal) -> Decimal:
    return value.quantize(TONNE_PLACES, rounding=ROUND_HALF_EVEN)


def _part(count, total, largest, second) -> disclosure.PartStats:
    return disclosure.PartStats(_micro(total), _micro(largest), _micro(second), int(count or 0))


def _change(net, count, total, largest, second) -> disclosure.ChangeStats:
    return disclosure.ChangeStats(_micro(net), _part(count, total, largest, second))


def _share(largest: Decimal, total: Decimal) -> Decimal:
    if not total:
        return Decimal(0)
    return (largest / total).quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)


# ---- starting the job --------------------------------------------------------------------------


def aggregation_start(*, round: DemandRound, actor, follow_up: bool = False) -> tuple[Job, bool]:
    """Start aggregating ``round`` into positions (after commit), unless a run is already active
    for it: then that job is returned. Returns (job, created). The round must be closed (or
    aggregated already, to re-aggregate)."""
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(
            _("Only a closed round can be aggregated; this one is %(state)s.")
            % {"state": round.get_state_display()}
        )
    from .tasks import aggregate_round

    with transaction.atomic():
        job, created = job_start(
            kind=AGGREGATION_JOB,
            subject=round,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            task=aggregate_round,
        )
        if created:
            if follow_up:
                # A re-run because the supply changed while the previous run worked; it does not
                # start another one itself, so a provider that never settles cannot loop.
                Job.objects.filter(pk=job.pk).update(result={"follow_up": True})
                job.result = {"follow_up": True}
            audit_record(
                actor=actor, action="positions.aggregate", obj=round, after={"job": str(job.pk)}
            )
    return job, created


def positions_refresh(*, round: DemandRound, actor=None, follow_up: bool = False) -> Job | None:
    """Re-run the aggregation of ``round``, e.g. because contracted volumes or confirmed
    allocations changed. Returns the job, or None while the round is still a draft or open (its
    positions are computed when it closes).

    When a run is already active, that run is returned; after this transaction commits we check
    again, and if the run has finished in the meantime (so it may have read the supply before the
    change) a new one starts. A run that is still active then compares the supply once more when
    it ends (see ``tasks.aggregate_round``).
    """
    if round.state not in AGGREGATABLE_STATES:
        return None
    job, created = aggregation_start(round=round, actor=actor, follow_up=follow_up)
    if not created and not follow_up:
        round_id = round.pk

        def check_again():
            fresh = DemandRound.objects.filter(pk=round_id).first()
            if (
                fresh is not None
                and fresh.state in AGGREGATABLE_STATES
                and active_job_for(kind=AGGREGATION_JOB, subject=fresh) is None
            ):
                aggregation_start(round=fresh, actor=actor)

        transaction.on_commit(check_again)
    return job


# ---- the run ---------------------------------------------------------------------------------


def aggregation_run(*, job: Job, reporter: JobReporter) -> dict:
    """The body of the aggregation task: compute a new position set for the job's round and make
    it current. Returns the supply it used (the task compares it afterwards)."""
    round = DemandRound.objects.filter(pk=job.subject_id).first()
    if round is None:
        raise StateConflict(_("The round no longer exists."))
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(_("The round was reopened; it is aggregated again when it closes."))
    min_firms, p = settings.DISCLOSURE_MIN_FIRMS, Decimal(settings.DISCLOSURE_P)
    tables = _tables()

    # Leftovers of runs that failed or whose worker died were never published: clear them first.
    _delete_sets(_unpublished(round))

    reporter.progress(0.05, gettext_noop("Pooling demand lines"))
    with transaction.atomic():
        position_set = PositionSet.objects.create(
            round=round, job=job, min_firms=min_firms, p_rule=p
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ~100 bytes a firm and cell: hash the groups in memory rather than sort on disk.
                cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("DROP TABLE IF EXISTS pooled_demand")
            cursor.execute(
                POOL_SQL.format(share=quarter_share_sql("l.micro"), **tables),
                {"round_id": round.pk, "firm": Commitment.FIRM, "false": False},
            )
            cursor.execute(FIRM_POSITIONS_SQL.format(**tables), {"set_id": position_set.pk})
            cursor.execute("SELECT COALESCE(SUM(line_count), 0) FROM pooled_demand")
            line_count = int(cursor.fetchone()[0])
            cursor.execute("DROP TABLE pooled_demand")
        PositionSet.objects.filter(pk=position_set.pk).update(line_count=line_count)
    try:
        reporter.progress(0.55, gettext_noop("Computing cells and element roll-up"))
        cells, rollups = _cell_statistics(position_set.pk, tables)
        earlier = _change_statistics(round.pk, position_set.pk, tables, cells, rollups)

        reporter.progress(0.7, gettext_noop("Applying disclosure control"))
        outcomes, rollup_reasons = disclosure.decide(
            [c["input"] for c in cells.values()],
            [r["input"] for r in rollups.values()],
            min_firms=min_firms,
            p=p,
        )
        superseded = _superseded_sets(earlier, outcomes, rollup_reasons)
        supply = supply_for_round(round.pk)

        reporter.progress(0.8, gettext_noop("Writing positions"))
        with transaction.atomic():
            _write_cells(position_set, cells, outcomes, supply)
            _write_rollups(position_set, rollups, rollup_reasons)

        reporter.progress(0.95, gettext_noop("Publishing positions"))
        summary = _publish(position_set=position_set, round=round, job=job)
    except BaseException:
        # The half-written set is not current; remove it now (the next run would do it too).
        try:
            _delete_sets(PositionSet.objects.filter(pk=position_set.pk, is_current=False))
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("Could not remove the unfinished position set %s", position_set.pk)
        raise
    reporter.job.result = {**summary, "follow_up": bool((job.result or {}).get("follow_up"))}
    _delete_sets(_unpublished(round) | PositionSet.objects.filter(pk__in=superseded))
    return supply_fingerprint(supply)


def _unpublished(round: DemandRound):
    """Sets of runs that never published (failed, given up, or their worker died)."""
    return PositionSet.objects.filter(round=round, is_current=False, published_at__isnull=True)


def supply_fingerprint(supply: dict) -> dict:
    """Contracted and allocated tonnes per cell, comparable across runs."""
    return {key: (_tonnes(Decimal(c)), _tonnes(Decimal(a))) for key, (c, a) in supply.items()}


def _cell_statistics(set_id: int, tables: dict) -> tuple[dict, dict]:
    cells: dict[tuple[int, int], dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(CELL_STATS_SQL.format(**tables), {"set_id": set_id})
        for row in cursor.fetchall():
            material_id, quarter = int(row[0]), int(row[1])
            total = _part(*row[2:6])
            cells[(material_id, quarter)] = {
                "input": disclosure.CellInput(
                    material_id=material_id,
                    quarter=quarter,
                    total=total,
                    firm=_part(*row[6:10]),
                    indicative=_part(*row[10:14]),
                ),
            }
        materials = {
            m.pk: m
            for m in Material.objects.filter(pk__in={key[0] for key in cells}).only(
                "id", "element", "element_content"
            )
        }
        by_quarter: dict[tuple[str, int], set[int]] = {}
        for material_id, quarter in cells:
            by_quarter.setdefault((materials[material_id].element, quarter), set()).add(material_id)
        rollups: dict[tuple[str, int], dict] = {}
        cursor.execute(ELEMENT_STATS_SQL.format(**tables), {"set_id": set_id})
        for element, quarter, count, total, largest, second in cursor.fetchall():
            quarter = int(quarter)
            rollups[(element, quarter)] = {
                "input": disclosure.RollupInput(
                    element=element,
                    quarter=quarter,
                    total=_part(count, total, largest, second),
                    material_ids=by_quarter.get((element, quarter), set()),
                ),
            }
    return cells, rollups


@dataclass
class EarlierSet:
    """What an earlier published set disclosed, compared with the new set: per disclosed cell
    and roll-up cell, how the firms' demand changed since."""

    cells: list[tuple[tuple[int, int], disclosure.CellChange]] = field(default_factory=list)
    rollups: list[tuple[tuple[str, int], disclosure.ChangeStats]] = field(default_factory=list)


def _change_statistics(
    round_id: int, set_id: int, tables: dict, cells: dict, rollups: dict
) -> dict[int, EarlierSet]:
    """Compare the new set with every earlier published set of the round: attach to each cell
    and roll-up input its changes against the sets that disclosed it, and return them per
    earlier set (including figures the new set no longer has, and sets that disclosed nothing)."""
    earlier = {
        pk: EarlierSet()
        for pk in PositionSet.objects.filter(round_id=round_id, published_at__isnull=False)
        .exclude(pk=set_id)
        .values_list("pk", flat=True)
    }
    if not earlier:
        return earlier
    params = {"round_id": round_id, "set_id": set_id, "true": True}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two sets' firm positions are grouped per firm and cell: in memory, not on disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("DROP TABLE IF EXISTS firm_changes")
        cursor.execute(_change_sql(FIRM_CHANGES_SQL, tables), params)
        cursor.execute(_change_sql(CHANGE_STATS_SQL, tables), params)
        for row in cursor.fetchall():
            v, key, parts = int(row[0]), (int(row[1]), int(row[2])), bool(row[3])
            change = disclosure.CellChange(
                position_set=v,
                total=_change(*row[4:9]),
                firm=_change(*row[9:14]),
                indicative=_change(*row[14:19]),
                parts_shown=parts,
            )
            earlier[v].cells.append((key, change))
            if key in cells:
                cells[key]["input"].changes.append(change)
        cursor.execute(_change_sql(ELEMENT_CHANGE_STATS_SQL, tables), params)
        for v, element, quarter, *stats in cursor.fetchall():
            key, change = (element, int(quarter)), _change(*stats)
            earlier[int(v)].rollups.append((key, change))
            if key in rollups:
                rollups[key]["input"].changes.append(change)
        cursor.execute("DROP TABLE firm_changes")
    return earlier


def _superseded_sets(earlier: dict[int, EarlierSet], outcomes: dict, rollup_reasons: dict) -> list:
    """Earlier sets that no later comparison needs: the new set shows every figure they disclosed,
    with every firm's demand unchanged, so comparing with the new set is the same check."""

    def unchanged(change: disclosure.ChangeStats) -> bool:
        return change.firms.contributors == 0

    def cell_covered(key, change: disclosure.CellChange) -> bool:
        outcome = outcomes.get(key)
        if outcome is None or not outcome.disclosed or not unchanged(change.total):
            return False
        return not change.parts_shown or (
            outcome.firm_disclosed and unchanged(change.firm) and unchanged(change.indicative)
        )

    return [
        pk
        for pk, old in earlier.items()
        if all(cell_covered(key, change) for key, change in old.cells)
        and all(rollup_reasons.get(key) == "" and unchanged(c) for key, c in old.rollups)
    ]


def _write_cells(position_set: PositionSet, cells: dict, outcomes: dict, supply: dict) -> None:
    rows = []
    for key, cell in cells.items():
        stats: disclosure.CellInput = cell["input"]
        outcome = outcomes[key]
        contracted, allocated = supply.get(key, (Decimal(0), Decimal(0)))
        rows.append(
            PositionCell(
                position_set=position_set,
                material_id=stats.material_id,
                quarter=stats.quarter,
                demand_t=_tonnes(stats.total.total),
                demand_firm_t=_tonnes(stats.firm.total),
                demand_indicative_t=_tonnes(stats.indicative.total),
                contributors=stats.total.contributors,
                firm_contributors=stats.firm.contributors,
                indicative_contributors=stats.indicative.contributors,
                largest_share=_share(stats.total.largest, stats.total.total),
                disclosed=outcome.disclosed,
                hidden_reason=outcome.hidden_reason,
                firm_disclosed=outcome.firm_disclosed,
                indicative_disclosed=outcome.indicative_disclosed,
                contracted_t=_tonnes(Decimal(contracted)),
                allocated_t=_tonnes(Decimal(allocated)),
            )
        )
    PositionCell.objects.bulk_create(rows, batch_size=1000)


def _write_rollups(position_set: PositionSet, rollups: dict, reasons: dict) -> None:
    rows = []
    for key, rollup in rollups.items():
        stats: disclosure.RollupInput = rollup["input"]
        reason = reasons[key]
        rows.append(
            ElementCell(
                position_set=position_set,
                element=stats.element,
                quarter=stats.quarter,
                demand_t=_tonnes(stats.total.total),
                demand_lce_t=_tonnes(stats.total.total * LCE_PER_LITHIUM)
                if stats.element == "Li"
                else None,
                contributors=stats.total.contributors,
                largest_share=_share(stats.total.largest, stats.total.total),
                disclosed=not reason,
                hidden_reason=reason,
            )
        )
    ElementCell.objects.bulk_create(rows, batch_size=1000)


@transaction.atomic
def _publish(*, position_set: PositionSet, round: DemandRound, job: Job) -> dict:
    """Make ``position_set`` its round's current set (the old one stops being current in the
    same transaction) and mark the round aggregated.

    Only a run whose job is still running publishes: a run given up as stale (its job failed, so
    a newer run may have started and removed this run's set) must not replace newer positions or
    leave the round without a current set.
    """
    round = DemandRound.objects.select_for_update().get(pk=round.pk)
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(
            _("The round was reopened while its positions were computed; nothing was published.")
        )
    given_up = StateConflict(
        _("This run was given up while it worked (a newer run replaces it); nothing was published.")
    )
    if not Job.objects.select_for_update().filter(pk=job.pk, state=JobState.RUNNING).exists():
        raise given_up
    previous = (
        PositionSet.objects.filter(round=round, is_current=True)
        .values_list("pk", flat=True)
        .first()
    )
    PositionSet.objects.filter(round=round, is_current=True).update(is_current=False)
    if not PositionSet.objects.filter(pk=position_set.pk).update(
        is_current=True, published_at=timezone.now()
    ):
        raise given_up  # a newer run removed this set; the old one stays current (rollback)
    actor = job.created_by
    cells = PositionCell.objects.filter(position_set=position_set)
    summary = {
        "position_set": position_set.pk,
        "cells": cells.count(),
        "disclosed": cells.filter(disclosed=True).count(),
        "hidden": cells.filter(disclosed=False).count(),
        "element_cells": ElementCell.objects.filter(position_set=position_set).count(),
        "lines": PositionSet.objects.filter(pk=position_set.pk)
        .values_list("line_count", flat=True)
        .get(),
    }
    audit_record(
        actor=actor,
        action="positions.publish",
        obj=round,
        before={"position_set": previous},
        after=summary,
    )
    from industry.rounds.services import round_mark_aggregated

    round_mark_aggregated(round=round, actor=actor)
    return summary


def _delete_sets(queryset) -> None:
    """Delete position sets with their rows (plain DELETEs: these tables have no signals)."""
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return
    with transaction.atomic():
        for model in (FirmPosition, PositionCell, ElementCell):
            model.objects.filter(position_set_id__in=ids).delete()
        PositionSet.objects.filter(pk__in=ids).delete()


def latest_job(round: DemandRound) -> Job | None:
    return (
        Job.objects.filter(
            kind=AGGREGATION_JOB, subject_type=round._meta.label_lower, subject_id=str(round.pk)
        )
        .order_by("-created_at")
        .first()
    )


__all__ = [
    "AGGREGATION_JOB",
    "JobState",
    "aggregation_run",
    "aggregation_start",
    "positions_refresh",
]
