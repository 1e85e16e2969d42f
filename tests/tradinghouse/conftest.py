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
