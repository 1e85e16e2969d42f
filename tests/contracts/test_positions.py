"""Positions after contracts and allocations: the real aggregation job picks up the contracted
volume of signed contracts and the confirmed allocations, so open position and coverage move."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.allocations import services as allocation_services
from contracts.offtakes import services as offtake_services
from industry.models import DemandLine
from rohstoff.core.periods import Period, Quarter
from rohstoff.core.units import to_tonnes

D = Decimal
Q1 = Quarter(2027, 1).index


@pytest.fixture
def lines(demand_round, firms, desk, lioh):
    """Five firms with 8 t of firm lithium hydroxide demand a quarter in 2027."""
    for firm in firms:
        period = Period.parse("2027")
        DemandLine.objects.create(
            round=demand_round,
            organisation=firm,
            material=lioh,
            period="2027",
            first_quarter=period.first.index,
            is_year=True,
            quantity=D("32"),
            unit="t",
            quantity_t=to_tonnes(D("32"), "t"),
            commitment="firm",
            entered_by=desk,
        )
    demand_round.state = "closed"
    demand_round.save(update_fields=["state"])


def aggregate(round, desk, capture):
    from tradinghouse.services import aggregation_start

    with capture(execute=True):
        aggregation_start(round=round, actor=desk)


def cell(round, material, quarter):
    from tradinghouse.models import PositionCell

    return PositionCell.objects.get(
        position_set__round=round, position_set__is_current=True, material=material, quarter=quarter
    )


def test_signing_and_confirming_fill_the_positions(
    lines,
    demand_round,
    desk,
    lioh,
    firms,
    make_contract,
    make_user,
    django_capture_on_commit_callbacks,
):
    aggregate(demand_round, desk, django_capture_on_commit_callbacks)
    demand_round.refresh_from_db()
    before = cell(demand_round, lioh, Q1)
    assert (before.demand_t, before.contracted_t, before.coverage) == (D("40"), D("0"), D("0"))
    contract = make_contract(annual_volume_t=D("40"))
    offtake_services.schedule_generate(contract=contract, actor=desk)
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    with django_capture_on_commit_callbacks(execute=True):
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="signed")
    after = cell(demand_round, lioh, Q1)
    assert (after.contracted_t, after.open_t, after.coverage) == (D("10"), D("30"), D("0.2500"))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    # 10 lots of 1 t among five firms with 8 t each: 2 each.
    assert (
        sorted(draft.allocations.filter(quarter=Q1).values_list("quantity_t", flat=True))
        == [D("2")] * 5
    )
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=3)
    )
    member = make_user("member", org=firms[0])
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_respond(
            allocation=draft.allocations.get(quarter=Q1, organisation=firms[0]),
            actor=member,
            accept=True,
        )
    assert cell(demand_round, lioh, Q1).allocated_t == D("2")
    with django_capture_on_commit_callbacks(execute=True):
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="terminated")
    gone = cell(demand_round, lioh, Q1)
    assert (gone.contracted_t, gone.allocated_t) == (D("0"), D("0"))
