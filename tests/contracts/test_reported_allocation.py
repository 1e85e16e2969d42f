"""Allocation shares a contract's volume by each firm's remaining firm demand: what a firm
reported as contracted by itself comes off its firm demand first (docs/reported-contracts.md)."""

from decimal import Decimal

from contracts.allocations.services import remaining_demand
from industry.models import ReportedContract, ReportedQuarter
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index


def test_a_firms_own_contract_reduces_its_remaining_demand(
    positions, demand_round, firms, lioh, make_contract, sign, desk
):
    positions({firm: D("10") for firm in firms[:5]}, lioh, [Q1])
    contract = make_contract(annual_volume_t=D("40"))
    sign(contract)
    # The positions' firm rows carry what the aggregation computed from the firms' reports.
    from tradinghouse.models import FirmPosition

    FirmPosition.objects.filter(organisation=firms[0], quarter=Q1).update(covered_directly_t=D("4"))
    FirmPosition.objects.filter(organisation=firms[1], quarter=Q1).update(
        covered_directly_t=D("12")
    )
    demand = remaining_demand(contract, [Q1])[Q1]
    assert demand[firms[0].pk] == D("6")
    assert firms[1].pk not in demand  # covered in full by itself: nothing to allocate
    assert demand[firms[2].pk] == D("10")


def test_the_report_reaches_the_allocation_through_the_aggregation(
    demand_round, firms, lioh, desk, make_user, django_capture_on_commit_callbacks
):
    from industry.models import DemandLine
    from tradinghouse.services import aggregation_start

    for firm in firms:
        DemandLine.objects.create(
            round=demand_round,
            organisation=firm,
            material=lioh,
            period="2027-Q1",
            first_quarter=Q1,
            is_year=False,
            quantity=D("8"),
            unit="t",
            quantity_t=D("8"),
            commitment="firm",
            entered_by=desk,
        )
    demand_round.state = "closed"
    demand_round.save(update_fields=["state"])
    member = make_user("member", org=firms[2])
    reported = ReportedContract.objects.create(
        organisation=firms[2], reported_by=member, material=lioh, origin_country="AU"
    )
    ReportedQuarter.objects.create(
        contract=reported, quarter=Q1, quantity=D("3"), quantity_t=D("3")
    )
    with django_capture_on_commit_callbacks(execute=True):
        aggregation_start(round=demand_round, actor=desk)
    from tradinghouse.models import FirmPosition

    fp = FirmPosition.objects.get(
        position_set__round=demand_round,
        position_set__is_current=True,
        organisation=firms[2],
        quarter=Q1,
    )
    assert (fp.demand_firm_t, fp.covered_directly_t) == (D("8"), D("3"))
