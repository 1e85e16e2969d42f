"""The screening's outlier statistics in SQL flag exactly the lines the former Python computation
flagged (medians per material, the firm's average in earlier rounds; year lines count a quarter;
withdrawn and excluded lines do not count), and a page costs a fixed number of queries."""

import datetime
import random
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from industry.lines import selectors
from industry.models import DemandLine, DemandRound
from rohstoff.core.periods import Quarter


def old_outliers(round) -> dict[int, tuple]:
    """line id -> (median, earlier average) it exceeds, as computed before (all rows in Python)."""

    def per_quarter(q, is_year):
        return q / 4 if is_year else q

    by_material = defaultdict(list)
    for m, q, y in DemandLine.objects.filter(
        round=round, withdrawn_at__isnull=True, excluded=False
    ).values_list("material_id", "quantity_t", "is_year"):
        by_material[m].append(per_quarter(q, y))
    medians = {m: statistics.median(v) for m, v in by_material.items() if len(v) >= 3}
    earlier_rounds = (
        DemandRound.objects.filter(opens_at__lt=round.opens_at)
        .exclude(pk=round.pk)
        .exclude(state="draft")
    )
    earlier = defaultdict(list)
    for o, m, q, y in DemandLine.objects.filter(
        round__in=earlier_rounds, withdrawn_at__isnull=True, excluded=False
    ).values_list("organisation_id", "material_id", "quantity_t", "is_year"):
        earlier[(o, m)].append(per_quarter(q, y))
    history = {k: sum(v) / len(v) for k, v in earlier.items()}
    flagged = {}
    for pk, o, m, q, y in DemandLine.objects.filter(round=round).values_list(
        "pk", "organisation_id", "material_id", "quantity_t", "is_year"
    ):
        pq = per_quarter(q, y)
        med, avg = medians.get(m), history.get((o, m))
        hits = (
            med if med and pq > 3 * med else None,
            avg if avg and pq > 3 * avg else None,
        )
        if any(hits):
            flagged[pk] = hits
    return flagged


def _line(round, org, material, period, quantity, user, **extra):
    quarter = Quarter.parse(period) if "Q" in period else Quarter(int(period), 1)
    return DemandLine.objects.create(
        round=round,
        organisation=org,
        material=material,
        period=period,
        first_quarter=quarter.index,
        is_year="Q" not in period,
        quantity=quantity,
        unit="t",
        quantity_t=quantity,
        entered_by=user,
        **extra,
    )


@pytest.fixture
def two_rounds(make_round, materials, desk, make_org):
    now = timezone.now()
    earlier = make_round()
    DemandRound.objects.filter(pk=earlier.pk).update(
        opens_at=now - datetime.timedelta(days=400), state="aggregated"
    )
    current = make_round()
    rng = random.Random(5)
    firms = [make_org(f"Screening Firma {i}") for i in range(12)]
    mats = list(materials.values())
    periods = ["2027", "2028", "2027-Q1", "2027-Q2", "2028-Q3", "2029-Q4"]
    for firm in firms:
        for material in mats[:3]:
            for period in rng.sample(periods, 3):
                _line(earlier, firm, material, period, Decimal(rng.randint(1, 40)), desk)
            for i, period in enumerate(rng.sample(periods, 4)):
                quantity = Decimal(rng.randint(1, 40_000)) / 1000
                if rng.random() < 0.15:
                    quantity *= 25  # an outlier
                _line(
                    current,
                    firm,
                    material,
                    period,
                    quantity,
                    desk,
                    excluded=(i == 3 and rng.random() < 0.3),
                )
    # Too few lines for a median: a material with two lines only.
    _line(current, firms[0], mats[3], "2027", Decimal("5"), desk)
    _line(current, firms[1], mats[3], "2027", Decimal("500"), desk)
    return current


def test_same_outliers_as_the_python_computation(two_rounds, desk):
    old = old_outliers(two_rounds)
    assert 5 < len(old) < DemandLine.objects.filter(round=two_rounds).count()
    screened = selectors.screening_lines(user=desk, round=two_rounds, flagged=True, sort="firm")
    assert len(screened) == len(old)
    rows = list(screened)
    assert {row.line.pk for row in rows} == set(old)
    for row in rows:
        median, average = old[row.line.pk]
        assert len(row.flags) == (median is not None) + (average is not None)
    # Unfiltered: every line, the same flags on each.
    everything = selectors.screening_lines(user=desk, round=two_rounds)
    assert len(everything) == DemandLine.objects.filter(round=two_rounds).count()
    assert {row.line.pk for row in everything if row.flags} == set(old)


def test_medians_are_exact(two_rounds):
    lines = DemandLine.objects.filter(round=two_rounds, withdrawn_at__isnull=True, excluded=False)
    by_material = defaultdict(list)
    for line in lines:
        by_material[line.material_id].append(
            line.quantity_t / 4 if line.is_year else line.quantity_t
        )
    expected = {m: statistics.median(v) for m, v in by_material.items() if len(v) >= 3}
    assert selectors.material_medians(two_rounds) == expected


def test_a_page_costs_a_fixed_number_of_queries(two_rounds, desk, django_assert_num_queries):
    screened = selectors.screening_lines(user=desk, round=two_rounds, flagged=True)
    # count, the slice, its history (prefetch), the firms' earlier averages
    with django_assert_num_queries(4):
        assert len(screened) > 0
        assert len(screened[0:100]) == len(screened)
