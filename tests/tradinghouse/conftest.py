"""Builders for rounds, firms and demand lines (written with the ORM, so these tests do not
depend on the demand-entry services), and a helper that runs the aggregation job."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from industry.models import DemandLine, DemandRound
from rohstoff.core.models import Job, Material
from rohstoff.core.periods import Period, Quarter
from rohstoff.core.units import to_tonnes


@pytest.fixture
def make_round(db, desk):
    def make(
        materials=("lithium-hydroxide",),
        first="2027-Q1",
        last="2028-Q4",
        state="closed",
        title=None,
    ):
        now = timezone.now()
        round = DemandRound.objects.create(
            title=title or f"Round {DemandRound.objects.count() + 1}",
            first_quarter=Quarter.parse(first).index,
            last_quarter=Quarter.parse(last).index,
            opens_at=now - datetime.timedelta(days=30),
            closes_at=now - datetime.timedelta(days=1),
            state=state,
            created_by=desk,
        )
        round.materials.set(Material.objects.filter(code__in=materials))
        return round

    return make


@pytest.fixture
def firms(make_org):
    """Eight member firms: firms[0] .. firms[7]."""
    return [make_org(f"Firma {i}", "member") for i in range(8)]


@pytest.fixture
def add_line(desk):
    def add(
        round,
        org,
        material,
        period,
        quantity,
        unit="t",
        commitment="indicative",
        grade="",
        country="DE",
        excluded=False,
        withdrawn=False,
    ):
        parsed = Period.parse(period)
        quantity = Decimal(str(quantity))
        return DemandLine.objects.create(
            round=round,
            organisation=org,
            material=Material.objects.get(code=material),
            grade=grade,
            period=str(parsed),
            first_quarter=parsed.first.index,
            is_year=parsed.is_year,
            quantity=quantity,
            unit=unit,
            quantity_t=to_tonnes(quantity, unit),
            commitment=commitment,
            delivery_country=country,
            entered_by=desk,
            excluded=excluded,
            withdrawn_at=timezone.now() if withdrawn else None,
        )

    return add


@pytest.fixture
def aggregate(django_capture_on_commit_callbacks, desk):
    """aggregate(round): starts the job (it runs in-process on commit) and returns it finished."""
    from tradinghouse.services import aggregation_start

    def run(round, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            job, _created = aggregation_start(round=round, actor=actor or desk)
        return Job.objects.get(pk=job.pk)

    return run


def q(text: str) -> int:
    return Quarter.parse(text).index


def cell(round, material, period):
    from tradinghouse.models import PositionCell

    return PositionCell.objects.get(
        position_set__round=round,
        position_set__is_current=True,
        material__code=material,
        quarter=q(period),
    )


@pytest.fixture
def rich_round(make_round, make_org, firm_a, add_line, aggregate):
    """An aggregated round with every kind of cell (firm_a, the firm of member_a, is firm 0):

    lithium hydroxide 2027: year lines of 8 firms (firm: 40, 44, 48, 52, 56 t; indicative: 20, 24,
    28 t), each quarter 78 t; 2027-Q3 also 8 t indicative from firms 0 and 1 (94 t):
      2027-Q1 hidden (complementary: the smallest shown cell, earliest on ties),
      2027-Q2 and Q4 disclosed with the firm/indicative split hidden (3 indicative firms),
      2027-Q3 disclosed with the split shown (5 firm and 5 indicative firms);
    lithium hydroxide 2028-Q1: 3 firms of 5 t -> hidden (fewer than 5 firms);
    terbium oxide 2028-Q3: 45 t from firm 0 and 0.4 t from four others -> hidden (p% rule).
    """
    firms = [firm_a] + [make_org(f"Mitglied {i}", "member") for i in range(1, 8)]
    r = make_round(
        materials=("lithium-hydroxide", "terbium-oxide"),
        first="2027-Q1",
        last="2028-Q4",
        title="Runde Lithium und Terbium",
    )
    for firm, tonnes in zip(firms[:5], (40, 44, 48, 52, 56), strict=True):
        add_line(r, firm, "lithium-hydroxide", "2027", tonnes, commitment="firm")
    for firm, tonnes in zip(firms[5:], (20, 24, 28), strict=True):
        add_line(r, firm, "lithium-hydroxide", "2027", tonnes, commitment="indicative")
    for firm in firms[:2]:
        add_line(r, firm, "lithium-hydroxide", "2027-Q3", 8, commitment="indicative")
    for firm in firms[:3]:
        add_line(r, firm, "lithium-hydroxide", "2028-Q1", 5)
    add_line(r, firms[0], "terbium-oxide", "2028-Q3", 45, commitment="firm")
    for firm in firms[4:8]:
        add_line(r, firm, "terbium-oxide", "2028-Q3", 400, unit="kg")
    job = aggregate(r)
    assert job.state == "succeeded", job.error
    r.refresh_from_db()
    r.firms = firms
    return r
