"""Two firms decline their shares of the same quarter at the same moment (PostgreSQL, real
transactions): both answers go through, and the quarter never holds more than its volume."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from rohstoff.core.periods import Quarter

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
D = Decimal
Q1 = Quarter(2027, 1).index


def test_simultaneous_declines(desk, make_contract, sign, demand_round, firms, lioh, make_user):
    from contracts.allocations import services as allocation_services
    from contracts.models import Allocation
    from industry.models import DemandLine
    from tradinghouse.services import aggregation_start

    # Real positions: signing the contract re-aggregates the round from its lines.
    for firm in firms:
        DemandLine.objects.create(
            round=demand_round,
            organisation=firm,
            material=lioh,
            period="2027",
            first_quarter=Q1,
            is_year=True,
            quantity=D("24"),
            unit="t",
            quantity_t=D("24"),
            commitment="firm",
            entered_by=desk,
        )
    demand_round.state = "closed"
    demand_round.save(update_fields=["state"])
    aggregation_start(round=demand_round, actor=desk)  # runs at once: autocommit, in-process
    contract = sign(make_contract(annual_volume_t=D("40")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=3)
    )
    members = {firm.pk: make_user("member", org=firm) for firm in firms[:2]}
    shares = list(
        draft.allocations.filter(quarter=Q1, organisation__in=firms[:2]).order_by("organisation_id")
    )
    assert len(shares) == 2, Allocation.objects.count()
    barrier, errors = threading.Barrier(2), []

    def decline(allocation):
        try:
            barrier.wait(timeout=10)
            allocation_services.allocation_respond(
                allocation=allocation, actor=members[allocation.organisation_id], accept=False
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=decline, args=(a,)) for a in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    rows = Allocation.objects.filter(allocation_round=draft, quarter=Q1)
    assert rows.filter(state="declined").count() == 2
    live = sum(rows.exclude(state="declined").values_list("quantity_t", flat=True), D(0))
    assert live <= D("10")
    # 2 + 2 t declined went to the three firms still answering, each lacking 4 t.
    assert live == D("10")
