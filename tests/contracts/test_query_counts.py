"""The contract book, the coverage dashboard and a member's allocations page keep a fixed number
of queries, with a handful of rows and with 1,000 contracts and 5,000 firms."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index
QUARTERS = [Q1 + i for i in range(4)]

# Pinned: the same with 3 contracts and 5 firms as with 1,000 contracts and 5,000 firms.
BOOK_QUERIES = 7
DASHBOARD_QUERIES = 9
MEMBER_QUERIES = 9  # + the contracts awaiting an answer (one query)


def build(*, contracts, firms, member_firm, desk, demand_round, counterparty, lioh):
    """Bulk data: ``firms`` member firms with firm demand in every quarter, ``contracts`` signed
    contracts with a schedule, each released to the member's firm, and one contract allocated to
    every firm."""
    from contracts.models import (
        Allocation,
        AllocationRound,
        Delivery,
        OfftakeContract,
        ScheduleEntry,
    )
    from rohstoff.core.models import Organisation
    from tradinghouse.models import FirmPosition, PositionCell, PositionSet

    orgs = Organisation.objects.bulk_create(
        [Organisation(name=f"Bulk {i:05d}", kind="member") for i in range(firms)]
    )
    orgs.append(member_firm)
    position_set = PositionSet.objects.create(
        round=demand_round, is_current=True, min_firms=5, p_rule=D("0.1")
    )
    FirmPosition.objects.bulk_create(
        [
            FirmPosition(
                position_set=position_set,
                organisation=o,
                material=lioh,
                quarter=q,
                demand_t=D("2"),
                demand_firm_t=D("2"),
                demand_indicative_t=0,
            )
            for o in orgs
            for q in QUARTERS
        ],
        batch_size=5000,
    )
    PositionCell.objects.bulk_create(
        [
            PositionCell(
                position_set=position_set,
                material=lioh,
                quarter=q,
                demand_t=D(2 * len(orgs)),
                demand_firm_t=D(2 * len(orgs)),
                demand_indicative_t=0,
                contributors=len(orgs),
                largest_share=D("0.01"),
                disclosed=True,
                contracted_t=D("40"),
                allocated_t=D("10"),
            )
            for q in QUARTERS
        ]
    )
    rows = OfftakeContract.objects.bulk_create(
        [
            OfftakeContract(
                reference=f"BULK-{i:05d}",
                counterparty=counterparty,
                round=demand_round,
                material=lioh,
                start_quarter=Q1,
                end_quarter=Q1 + 3,
                annual_volume_t=D("40"),
                incoterm="CIF",
                incoterm_place="Hamburg",
                currency="USD",
                pricing_type="fixed",
                fixed_price=D("12000"),
                lot_size_t=D("1"),
                state="signed",
                signed_on=datetime.date(2026, 1, 1),
                created_by=desk,
            )
            for i in range(contracts)
        ],
        batch_size=2000,
    )
    ScheduleEntry.objects.bulk_create(
        [ScheduleEntry(contract=c, quarter=q, quantity_t=D("10")) for c in rows for q in QUARTERS],
        batch_size=5000,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                contract=c,
                quarter=Q1,
                delivered_on=datetime.date(2026, 1, 5),
                quantity_t=D("9"),
                recorded_by=desk,
            )
            for c in rows
        ],
        batch_size=5000,
    )
    respond_by = timezone.now() + datetime.timedelta(days=3)
    rounds = AllocationRound.objects.bulk_create(
        [
            AllocationRound(
                contract=c,
                state="released",
                respond_by=respond_by,
                released_at=timezone.now(),
                created_by=desk,
            )
            for c in rows
        ],
        batch_size=2000,
    )
    allocations = [
        Allocation(
            allocation_round=r,
            contract_id=r.contract_id,
            organisation=member_firm,
            quarter=q,
            requested_t=D("2"),
            computed_t=D("1"),
            quantity_t=D("1"),
            explanation={"method": "pro_rata"},
        )
        for r in rounds
        for q in QUARTERS
    ]
    allocations += [
        Allocation(
            allocation_round=rounds[0],
            contract_id=rounds[0].contract_id,
            organisation=o,
            quarter=Q1,
            requested_t=D("2"),
            computed_t=D("0"),
            quantity_t=D("0"),
            explanation={},
        )
        for o in orgs
        if o.pk != member_firm.pk
    ]
    Allocation.objects.bulk_create(allocations, batch_size=5000)


def count_queries(client, url) -> int:
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("contracts,firms", [(3, 5), (1000, 5000)])
def test_fixed_query_counts(
    contracts, firms, login, desk, member_a, firm_a, demand_round, counterparty, lioh
):
    build(
        contracts=contracts,
        firms=firms,
        member_firm=firm_a,
        desk=desk,
        demand_round=demand_round,
        counterparty=counterparty,
        lioh=lioh,
    )
    desk_client = login(desk)
    assert count_queries(desk_client, "/contracts/") == BOOK_QUERIES
    assert count_queries(desk_client, "/contracts/dashboard/") == DASHBOARD_QUERIES
    member_client = login(member_a)
    assert count_queries(member_client, "/contracts/allocations/") == MEMBER_QUERIES
