"""The aggregation's SQL phases: pooling demand lines into firm positions, then the statistics of
each cell and element roll-up.

One ``INSERT ... SELECT ... GROUP BY`` pools the active lines straight into firm positions (one
firm's demand per cell, with the year-to-quarter split done in SQL), and two set-based reads compute each cell's
and each element roll-up's statistics with window functions; only those few statistics come to
Python for disclosure control.

Quantities travel through SQL as integer micro-tonnes (``quantity_t * 10**6``, exact in
PostgreSQL and SQLite alike), which makes the half-to-even split of a year exact: PostgreSQL's
``round()`` rounds half away from zero, so the rounding is written out in SQL below.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection, transaction

from industry.models import DemandLine
from rohstoff.core.models import Material
from rohstoff.core.units import TONNE_PLACES

from .. import disclosure
from ..models import ElementCell, FirmPosition, PositionCell, PositionSet

MICRO = 1_000_000


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


def tables() -> dict[str, str]:
    return {
        "line": DemandLine._meta.db_table,
        "fp": FirmPosition._meta.db_table,
        "material": Material._meta.db_table,
        "set": PositionSet._meta.db_table,
        "cell": PositionCell._meta.db_table,
        "element_cell": ElementCell._meta.db_table,
    }


# Splits each active line into its quarters (a quarter line into one, a year line into four, the
# fourth taking the remainder) and pools them per firm, material and quarter in micro-tonnes,
# straight into the new set's firm positions: one INSERT ... SELECT ... GROUP BY, no intermediate
# table (docs/benchmarks.md, "Aggregation at national scale"). Firm positions exist only where
# demand > 0 (a tiny year line can leave a quarter with nothing).
FIRM_POSITIONS_SQL = """
INSERT INTO {fp} (position_set_id, organisation_id, material_id, quarter,
                  demand_t, demand_firm_t, demand_indicative_t)
SELECT %(set_id)s, s.organisation_id, s.material_id, s.quarter,
       SUM(s.q) / 1000000.0,
       SUM(CASE WHEN s.commitment = %(firm)s THEN s.q ELSE 0 END) / 1000000.0,
       SUM(CASE WHEN s.commitment = %(firm)s THEN 0 ELSE s.q END) / 1000000.0
FROM (
    SELECT l.organisation_id, l.material_id, l.commitment, l.first_quarter + k.k AS quarter,
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
HAVING SUM(s.q) > 0
"""

# The active lines the set pools (each line once).
LINE_COUNT_SQL = """
SELECT COUNT(*) FROM {line}
WHERE round_id = %(round_id)s AND withdrawn_at IS NULL AND excluded = %(false)s
"""


def firm_positions_sql(tables: dict) -> str:
    return FIRM_POSITIONS_SQL.format(share=quarter_share_sql("l.micro"), **tables)


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


def from_micro(value) -> Decimal:
    """A micro-tonne figure from the database as exact tonnes (SQLite may hand back a float)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value) / MICRO


def tonnes(value: Decimal) -> Decimal:
    return value.quantize(TONNE_PLACES, rounding=ROUND_HALF_EVEN)


def part(count, total, largest, second) -> disclosure.PartStats:
    return disclosure.PartStats(
        from_micro(total), from_micro(largest), from_micro(second), int(count or 0)
    )


def cell_statistics(set_id: int, tables: dict) -> tuple[dict, dict]:
    cells: dict[tuple[int, int], dict] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The window functions sort every firm position of the set three times: in memory,
            # as the pooling hashes, rather than in temporary files (docs/benchmarks.md).
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(CELL_STATS_SQL.format(**tables), {"set_id": set_id})
        for row in cursor.fetchall():
            material_id, quarter = int(row[0]), int(row[1])
            total = part(*row[2:6])
            cells[(material_id, quarter)] = {
                "input": disclosure.CellInput(
                    material_id=material_id,
                    quarter=quarter,
                    total=total,
                    firm=part(*row[6:10]),
                    indicative=part(*row[10:14]),
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
                    total=part(count, total, largest, second),
                    material_ids=by_quarter.get((element, quarter), set()),
                ),
            }
    return cells, rollups
