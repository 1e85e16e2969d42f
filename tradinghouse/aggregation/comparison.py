"""The comparison of a new position set with its round's earlier published sets.

A round's earlier published sets are kept as long as a figure they disclosed could still be
compared with a new one (docs/disclosure.md, "Re-published positions"): three more set-based
queries compute, per cell and per roll-up cell, how each firm's demand changed since each such set
(keeping only the firms that changed), and
disclosure control hides a figure whose change would reveal a firm. An earlier set whose every
disclosed figure the new set shows unchanged is removed after publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

from .. import disclosure
from ..models import PositionSet
from .pooling import from_micro, part


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


def _change(net, count, total, largest, second) -> disclosure.ChangeStats:
    return disclosure.ChangeStats(from_micro(net), part(count, total, largest, second))


@dataclass
class EarlierSet:
    """What an earlier published set disclosed, compared with the new set: per disclosed cell
    and roll-up cell, how the firms' demand changed since."""

    cells: list[tuple[tuple[int, int], disclosure.CellChange]] = field(default_factory=list)
    rollups: list[tuple[tuple[str, int], disclosure.ChangeStats]] = field(default_factory=list)


def change_statistics(
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


def superseded_sets(earlier: dict[int, EarlierSet], outcomes: dict, rollup_reasons: dict) -> list:
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
