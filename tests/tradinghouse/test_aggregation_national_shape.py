"""The aggregation in the national shape on a small case (issue 14): many firms, several materials
and elements, year and quarter lines in every unit, both commitments, excluded and withdrawn
lines. The expected per-firm rows, cells and element cells are computed here from the lines in
Python (docs/benchmarks.md, "Aggregation at national scale"; the rules in
docs/periods-and-units.md), independently of the job's SQL."""

import random
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from rohstoff.core.chemistry import LCE_PER_LITHIUM
from rohstoff.core.models import Material
from tradinghouse.models import ElementCell, FirmPosition, PositionCell, PositionSet

D = Decimal
MICRO = 1_000_000
PLACES = D("0.000001")


def expected_firm_rows(lines) -> dict:
    """(firm, material, quarter) -> [total, firm part, indicative part] in micro-tonnes."""
    rows = defaultdict(lambda: [0, 0, 0])
    for line in lines:
        if line.excluded or line.withdrawn_at is not None:
            continue
        micro = int(line.quantity_t * MICRO)
        if line.is_year:
            share = int((D(micro) / 4).quantize(D(1), rounding=ROUND_HALF_EVEN))
            parts = [share, share, share, micro - 3 * share]
        else:
            parts = [micro]
        for k, part in enumerate(parts):
            row = rows[(line.organisation_id, line.material_id, line.first_quarter + k)]
            row[0] += part
            row[1 if line.commitment == "firm" else 2] += part
    return {key: value for key, value in rows.items() if value[0] > 0}


def share(largest, total) -> D:
    return (D(largest) / D(total)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def test_the_national_shape_gives_the_cells_computed_from_the_lines(
    make_round, make_org, add_line, aggregate
):
    materials = list(Material.objects.order_by("sort_order", "pk")[:6])
    assert len({m.element for m in materials}) >= 3
    round = make_round(materials=[m.code for m in materials], first="2027-Q1", last="2028-Q4")
    firms = [make_org(f"Firma national {i:02d}", "member") for i in range(30)]
    rng = random.Random(14)
    periods = ["2027", "2028"] + [f"{y}-Q{k}" for y in (2027, 2028) for k in (1, 2, 3, 4)]
    lines = []
    for n in range(400):
        unit = ("t", "kg", "lb")[n % 3]
        quantity = D(rng.randint(1, 9_999_999)) / 1000
        if n % 37 == 0:
            quantity = D("0.000006") if unit == "t" else D("0.001")  # splits to almost nothing
        lines.append(
            add_line(
                round,
                firms[rng.randrange(len(firms))] if n % 5 else firms[0],  # one large firm
                materials[rng.randrange(len(materials))].code,
                periods[rng.randrange(len(periods))],
                quantity,
                unit,
                commitment="firm" if rng.random() < 0.4 else "indicative",
                grade=f"g{n}",
                excluded=n % 23 == 0,
                withdrawn=n % 29 == 0,
            )
        )

    job = aggregate(round)

    assert job.state == "succeeded", job.error
    position_set = PositionSet.objects.get(round=round, is_current=True)
    expected = expected_firm_rows(lines)
    stored = {
        (fp.organisation_id, fp.material_id, fp.quarter): [
            fp.demand_t,
            fp.demand_firm_t,
            fp.demand_indicative_t,
        ]
        for fp in FirmPosition.objects.filter(position_set=position_set)
    }
    assert stored == {key: [D(v) / MICRO for v in values] for key, values in expected.items()}

    cells = defaultdict(list)
    for (_org, material, quarter), values in expected.items():
        cells[(material, quarter)].append(values)
    stored_cells = {
        (c.material_id, c.quarter): c
        for c in PositionCell.objects.filter(position_set=position_set)
    }
    assert set(stored_cells) == set(cells)
    for key, firm_rows in cells.items():
        c = stored_cells[key]
        total = sum(v[0] for v in firm_rows)
        assert c.demand_t == D(total) / MICRO, key
        assert c.demand_firm_t == D(sum(v[1] for v in firm_rows)) / MICRO, key
        assert c.demand_indicative_t == D(sum(v[2] for v in firm_rows)) / MICRO, key
        assert c.contributors == len(firm_rows)
        assert c.firm_contributors == sum(1 for v in firm_rows if v[1] > 0)
        assert c.indicative_contributors == sum(1 for v in firm_rows if v[2] > 0)
        assert c.largest_share == share(max(v[0] for v in firm_rows), total)

    by_material = {m.pk: m for m in materials}
    contained = defaultdict(lambda: defaultdict(D))
    for (org, material, quarter), values in expected.items():
        m = by_material[material]
        contained[(m.element, quarter)][org] += D(values[0]) / MICRO * m.element_content
    stored_elements = {
        (e.element, e.quarter): e for e in ElementCell.objects.filter(position_set=position_set)
    }
    assert set(stored_elements) == set(contained)
    for key, per_firm in contained.items():
        e = stored_elements[key]
        total = sum(per_firm.values())
        assert e.demand_t == total.quantize(PLACES, rounding=ROUND_HALF_EVEN), key
        assert e.contributors == len(per_firm)
        assert e.largest_share == share(max(per_firm.values()), total)
        if key[0] == "Li":
            lce = (total * LCE_PER_LITHIUM).quantize(PLACES, rounding=ROUND_HALF_EVEN)
            assert e.demand_lce_t == lce
    assert position_set.line_count == sum(
        1 for line in lines if not line.excluded and line.withdrawn_at is None
    )
