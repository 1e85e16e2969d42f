"""The demo offtakes: contracts serving the closed demo round, one quarter late and one short,
allocations confirmed, declined and awaiting an answer, prices to compute with."""

from io import StringIO

import pytest
from django.core.management import call_command

from contracts import selectors
from contracts.models import Allocation, AllocationRound, OfftakeContract


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_offtakes(desk):
    from rohstoff.core.models import Material
    from rohstoff.core.reference import load_materials

    load_materials(Material)  # a flush by an earlier transactional test may have removed them
    # Committed step by step, as the command does outside tests, so the jobs run on commit.
    call_command("seed_demo", stdout=StringIO())
    states = dict(OfftakeContract.objects.values_list("reference", "state"))
    assert states == {
        "OFF-2026-001": "active",
        "OFF-2026-002": "signed",
        "OFF-2026-003": "signed",
        "OFF-2027-004": "negotiating",
    }
    lioh = OfftakeContract.objects.get(reference="OFF-2026-001")
    statuses = [row["status"] for row in selectors.schedule_rows(lioh)]
    assert statuses[:3] == ["late", "short", "due"]
    assert {"confirmed", "declined", "proposed"} <= set(
        Allocation.objects.filter(contract=lioh).values_list("state", flat=True)
    )
    assert AllocationRound.objects.filter(
        contract__reference="OFF-2026-002", state="draft"
    ).exists()
    prices = selectors.quarter_prices(
        lioh, [row["quarter"] for row in selectors.schedule_rows(lioh)][:3]
    )
    assert all(not isinstance(p, Exception) for p in prices.values())
    assert selectors.mark_to_market(user=desk)["contracts"][0]["mtm"] is not None
