"""The SQL of ``benchmark_aggregation`` (docs/benchmarks.md, "Aggregation at national scale"):
the floor, plain SQL that persists the rows the aggregation job persists, and the generator of
synthetic demand lines, which ``benchmark_ministry``, ``benchmark_web`` and ``benchmark_export``
use too. Nothing here runs in the platform itself."""

# round_half_even(x, 6) for a non-negative numeric x, in plain SQL (PostgreSQL's round() rounds
# half away from zero): only the generator converts units (the job and the floor read quantity_t).
HALF_EVEN_6 = (
    "(CASE WHEN ({x}) * 1000000 - floor(({x}) * 1000000) > 0.5 THEN floor(({x}) * 1000000) + 1 "
    "WHEN ({x}) * 1000000 - floor(({x}) * 1000000) < 0.5 THEN floor(({x}) * 1000000) "
    "ELSE floor(({x}) * 1000000) + mod(floor(({x}) * 1000000), 2) END) / 1000000"
)

# The floor: plain SQL that persists the rows the job persists (the per-firm rows, the cells and
# the element cells, into the same tables with their keys and foreign keys), reading the stored
# tonnes the job reads, in one transaction. Cells and element cells carry the same statistics
# the job's disclosure control uses (contributors, total, largest and second largest of the total
# and of each part) with the primary and dominance rules written in SQL.
FLOOR_FIRM_SQL = """
INSERT INTO tradinghouse_firmposition
    (position_set_id, organisation_id, material_id, quarter,
     demand_t, demand_firm_t, demand_indicative_t)
SELECT %(set_id)s, l.organisation_id, l.material_id, l.first_quarter + k.k,
       SUM(q.q) / 1000000.0,
       SUM(CASE WHEN l.firm THEN q.q ELSE 0 END) / 1000000.0,
       SUM(CASE WHEN l.firm THEN 0 ELSE q.q END) / 1000000.0
FROM (
    SELECT organisation_id, material_id, first_quarter, is_year, commitment = 'firm' AS firm,
           CAST(quantity_t * 1000000 AS bigint) AS micro
    FROM industry_demandline
    WHERE round_id = %(round_id)s AND withdrawn_at IS NULL AND NOT excluded
) l
JOIN (VALUES (0), (1), (2), (3)) AS k(k) ON k.k = 0 OR l.is_year
CROSS JOIN LATERAL (
    -- the year split: a quarter of the micro-tonnes rounded half to even, the rest in Q4
    SELECT CASE WHEN NOT l.is_year THEN l.micro
                WHEN k.k < 3 THEN l.micro / 4 + CASE l.micro %% 4 WHEN 3 THEN 1
                                                     WHEN 2 THEN (l.micro / 4) %% 2 ELSE 0 END
                ELSE l.micro - 3 * (l.micro / 4 + CASE l.micro %% 4 WHEN 3 THEN 1
                                                     WHEN 2 THEN (l.micro / 4) %% 2 ELSE 0 END)
           END AS q
) q
GROUP BY l.organisation_id, l.material_id, l.first_quarter + k.k
HAVING SUM(q.q) > 0
"""

FLOOR_CELL_SQL = """
INSERT INTO tradinghouse_positioncell
    (position_set_id, material_id, quarter, demand_t, demand_firm_t, demand_indicative_t,
     contributors, firm_contributors, indicative_contributors, largest_share, disclosed,
     hidden_reason, firm_disclosed, indicative_disclosed, contracted_t, allocated_t,
     covered_directly_t, direct_reporters, direct_disclosed)
SELECT %(set_id)s, material_id, quarter, t, f, i, n, nf, ni, round(mt / t, 6),
       n >= %(min_firms)s AND t - mt - st >= %(p)s * mt,
       CASE WHEN n < %(min_firms)s THEN 'min_firms'
            WHEN t - mt - st < %(p)s * mt THEN 'dominance' ELSE '' END,
       nf >= %(min_firms)s AND f - mf - sf >= %(p)s * mf,
       ni >= %(min_firms)s AND i - mi - si >= %(p)s * mi, 0, 0, 0, 0, false
FROM (
    SELECT material_id, quarter, COUNT(*) AS n, SUM(demand_t) AS t, MAX(demand_t) AS mt,
           SUM(CASE WHEN rt = 2 THEN demand_t ELSE 0 END) AS st,
           SUM(CASE WHEN demand_firm_t > 0 THEN 1 ELSE 0 END) AS nf, SUM(demand_firm_t) AS f,
           MAX(demand_firm_t) AS mf, SUM(CASE WHEN rf = 2 THEN demand_firm_t ELSE 0 END) AS sf,
           SUM(CASE WHEN demand_indicative_t > 0 THEN 1 ELSE 0 END) AS ni,
           SUM(demand_indicative_t) AS i, MAX(demand_indicative_t) AS mi,
           SUM(CASE WHEN ri = 2 THEN demand_indicative_t ELSE 0 END) AS si
    FROM (
        SELECT material_id, quarter, demand_t, demand_firm_t, demand_indicative_t,
               ROW_NUMBER() OVER (PARTITION BY material_id, quarter ORDER BY demand_t DESC) AS rt,
               ROW_NUMBER() OVER (PARTITION BY material_id, quarter ORDER BY demand_firm_t DESC) AS rf,
               ROW_NUMBER() OVER (PARTITION BY material_id, quarter
                                  ORDER BY demand_indicative_t DESC) AS ri
        FROM tradinghouse_firmposition WHERE position_set_id = %(set_id)s
    ) w
    GROUP BY material_id, quarter
) s
"""

FLOOR_ELEMENT_SQL = """
INSERT INTO tradinghouse_elementcell
    (position_set_id, element, quarter, demand_t, demand_lce_t, contributors, largest_share,
     disclosed, hidden_reason)
SELECT %(set_id)s, element, quarter, round(c, 6),
       CASE WHEN element = 'Li' THEN round(c * %(lce)s, 6) END, n, round(mc / c, 6),
       n >= %(min_firms)s AND c - mc - sc >= %(p)s * mc,
       CASE WHEN n < %(min_firms)s THEN 'min_firms'
            WHEN c - mc - sc >= %(p)s * mc THEN '' ELSE 'dominance' END
FROM (
    SELECT element, quarter, COUNT(*) AS n, SUM(c) AS c, MAX(c) AS mc,
           SUM(CASE WHEN r = 2 THEN c ELSE 0 END) AS sc
    FROM (
        SELECT element, quarter, c,
               ROW_NUMBER() OVER (PARTITION BY element, quarter ORDER BY c DESC) AS r
        FROM (
            SELECT m.element AS element, fp.quarter AS quarter, fp.organisation_id,
                   SUM(fp.demand_t * m.element_content) AS c
            FROM tradinghouse_firmposition fp JOIN core_material m ON m.id = fp.material_id
            WHERE fp.position_set_id = %(set_id)s
            GROUP BY m.element, fp.quarter, fp.organisation_id
        ) a
    ) b
    GROUP BY element, quarter
) s
"""

FLOOR_SQL = (FLOOR_FIRM_SQL, FLOOR_CELL_SQL, FLOOR_ELEMENT_SQL)

# Synthetic lines in one statement: firm, material, period (30 % years), unit and commitment
# vary with the row number; one in a hundred is excluded, one in a hundred withdrawn. A grade per
# line keeps the line key unique.
GENERATE_SQL = """
INSERT INTO industry_demandline
    (round_id, organisation_id, material_id, grade, period, first_quarter, is_year, quantity, unit,
     quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, version,
     withdrawn_at, excluded, exclusion_reason, excluded_by_id, excluded_at)
SELECT %(round_id)s, g.org, g.material, 'bench-' || g.n, g.period, g.first_quarter, g.is_year,
       g.quantity, g.unit, {to_tonnes}, g.commitment, 'DE', %(user_id)s, now(), now(), 1,
       CASE WHEN g.n %% 100 = 7 THEN now() END, g.n %% 100 = 3,
       CASE WHEN g.n %% 100 = 3 THEN 'benchmark' ELSE '' END, NULL, NULL
FROM (
    SELECT n,
           (%(orgs)s)[1 + abs(hashtext('o' || n)) %% %(org_count)s] AS org,
           (%(materials)s)[1 + abs(hashtext('m' || n)) %% %(material_count)s] AS material,
           CASE WHEN n %% 10 < 3 THEN (%(first_year)s + (n / 10) %% %(years)s)::text
                ELSE (%(first_year)s + (n / 7) %% %(years)s)::text || '-Q' || (1 + n %% 4)::text END AS period,
           CASE WHEN n %% 10 < 3 THEN (%(first_year)s + (n / 10) %% %(years)s) * 4
                ELSE (%(first_year)s + (n / 7) %% %(years)s) * 4 + n %% 4 END AS first_quarter,
           n %% 10 < 3 AS is_year,
           CASE n %% 3 WHEN 0 THEN 't' WHEN 1 THEN 'kg' ELSE 'lb' END AS unit,
           CASE n %% 3 WHEN 0 THEN round((1 + (n * 31) %% 997) / 7.0, 3)
                       WHEN 1 THEN round((100 + (n * 37) %% 99991) / 3.0, 3)
                       ELSE round((200 + (n * 41) %% 199999) / 9.0, 3) END AS quantity,
           CASE WHEN n %% 5 < 2 THEN 'firm' ELSE 'indicative' END AS commitment
    FROM generate_series(1::bigint, %(lines)s) AS n
) g
""".format(  # noqa: S608 - a constant: its only fields are the rounding expressions below
    to_tonnes=HALF_EVEN_6.format(
        x="g.quantity * CASE g.unit WHEN 't' THEN 1 WHEN 'kg' THEN 0.001 ELSE 0.00045359237 END"
    )
)
