"""The demo offtakes: contracts serving the closed demo round, one quarter late and one short,
allocations confirmed, declined and awaiting an answer, prices to compute with."""

from contracts.models import Allocation, AllocationRound, OfftakeContract
from contracts.offtakes import selectors as offtake_selectors
from contracts.prices import selectors as price_selectors


def test_demo_offtakes(db, desk, django_capture_on_commit_callbacks):
    from rohstoff.dashboards.management.commands.seed_demo import STEPS

    context = {}
    # Step by step, each one "committed" (its jobs run) before the next, as the command does.
    for _label, step in STEPS:
        with django_capture_on_commit_callbacks(execute=True):
            context = step(context)
    # The desk's own contracts; the agency's approved stake adds a draft (tests/agency), the
    # market's finished call one more, made from a supplier's match (MK-…).
    own = OfftakeContract.objects.filter(stake__isnull=True)
    assert list(own.filter(reference__startswith="MK-").values_list("state", flat=True)) == [
        "draft"
    ]
    states = dict(own.exclude(reference__startswith="MK-").values_list("reference", "state"))
    assert states == {
        "OFF-2026-001": "active",
        "OFF-2026-002": "signed",
        "OFF-2026-003": "signed",
        "OFF-2027-004": "negotiating",
        "OFF-2026-005": "signed",
        "OFF-2026-006": "signed",
        "OFF-2026-007": "signed",
    }
    lioh = OfftakeContract.objects.get(reference="OFF-2026-001")
    rows = offtake_selectors.schedule_rows(lioh)
    assert [row["status"] for row in rows[:3]] == ["late", "short", "due"]
    assert {"confirmed", "declined", "proposed"} <= set(
        Allocation.objects.filter(contract=lioh).values_list("state", flat=True)
    )
    assert AllocationRound.objects.filter(
        contract__reference="OFF-2026-002", state="draft"
    ).exists()
    prices = price_selectors.quarter_prices(lioh, [row["quarter"] for row in rows[:3]])
    assert all(not isinstance(p, Exception) for p in prices.values())
    assert price_selectors.mark_to_market(user=desk)["contracts"][0]["mtm"] is not None
    # Safe to run twice.
    for _label, step in STEPS:
        with django_capture_on_commit_callbacks(execute=True):
            context = step(context)
    assert (
        OfftakeContract.objects.filter(stake__isnull=True).count() == len(states) + 1
    )  # and the market's draft
    assert AllocationRound.objects.count() == 2


def test_the_demo_gives_the_crma_tracker_eu_shares(db, desk, django_capture_on_commit_callbacks):
    """A Finnish refinery, a Portuguese mine and a German recycler: the tracker shows EU shares
    of lithium hydroxide (processed), lithium carbonate (extracted) and NdPr oxide (recycled)."""
    from rohstoff.dashboards.management.commands.seed_demo import STEPS
    from rohstoff.supply import selectors as supply_selectors
    from rohstoff.supply import tables as supply_tables

    context = {}
    for _label, step in STEPS:
        with django_capture_on_commit_callbacks(execute=True):
            context = step(context)
    rows = {r["code"]: r for r in supply_tables.crma_rows(supply_selectors.crma_tracker(user=desk))}
    assert rows["lithium-hydroxide"]["processed"] > 0
    assert rows["lithium-carbonate"]["extracted"] > 0
    assert rows["ndpr-oxide"]["recycled"] > 0
