"""What needs each role's attention, on its home page. Each widget reads through the owning app's
selectors (scoped to the user), with a fixed number of queries."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from contracts import policy as contract_policy
from contracts.deliveries import selectors as delivery_selectors
from contracts.models import AllocationRound, AllocationState
from industry import policy as round_policy
from industry.lines.figures import round_summaries
from industry.models import RoundState
from rohstoff.core.access import AGENCY, DESK, MEMBERS, MINISTRY
from rohstoff.core.models import Job, JobState
from rohstoff.supply import charts as supply_charts
from rohstoff.supply import tables as supply_tables
from tradinghouse import selectors as position_selectors
from tradinghouse.services import AGGREGATION_JOB

from .kept import kept
from .widgets import Widget, register


def member_work(request) -> dict:
    user = request.user
    now = timezone.now()
    open_rounds = (
        round_policy.rounds_visible_to(user)
        .filter(state=RoundState.OPEN, opens_at__lte=now, closes_at__gt=now)
        .annotate(
            own_lines=Count(
                "lines",
                filter=Q(
                    lines__organisation_id=user.organisation_id, lines__withdrawn_at__isnull=True
                ),
            )
        )
        .order_by("closes_at")
    )
    waiting = contract_policy.allocations_visible_to(user).filter(
        state=AllocationState.PROPOSED, allocation_round__state=AllocationRound.State.RELEASED
    )
    answer = waiting.aggregate(count=Count("pk"), earliest=Min("allocation_round__respond_by"))
    return {"open_rounds": list(open_rounds), "allocations_waiting": answer}


def desk_work(request) -> dict:
    user = request.user
    rounds = round_policy.rounds_visible_to(user).filter(
        state__in=[RoundState.OPEN, RoundState.CLOSED]
    )
    rounds = list(rounds.order_by("closes_at"))
    # Stored per version of the rounds' lines: an open round of a million lines is not counted
    # on every view (docs/screening.md).
    summaries = round_summaries(rounds)
    for round in rounds:
        summary = summaries[round.pk]
        round.active_lines, round.firms = summary.counted_lines, summary.counted_firms
    due = delivery_selectors.due_overview(user=user)
    failed_jobs = Job.objects.filter(
        kind=AGGREGATION_JOB,
        state=JobState.FAILED,
        finished_at__gte=timezone.now() - timezone.timedelta(days=7),
    ).count()
    waiting = contract_policy.allocations_visible_to(user).filter(
        state=AllocationState.PROPOSED, allocation_round__state=AllocationRound.State.RELEASED
    )
    return {
        "rounds": rounds,
        "late": sum(1 for row in due if row["status"] == "late"),
        "short": sum(1 for row in due if row["status"] == "short"),
        "due": sum(1 for row in due if row["status"] == "due"),
        "failed_jobs": failed_jobs,
        "allocations_waiting": waiting.count(),
    }


def readers_positions(request) -> dict:
    """Agency and ministry: the rounds whose positions they can open."""
    rounds = [
        (round, position_set)
        for round, position_set in position_selectors.rounds_with_positions(request.user)
        if position_set is not None
    ]
    return {"rounds_with_positions": rounds[:5]}


def ministry_figures(request) -> dict:
    """The ministry: key figures of the newest round's current positions, per material, read
    through the disclosure rule (a hidden cell contributes nothing, not even to a sum). Coverage
    is a share per material only: tonnes of different materials are never added up
    (docs/periods-and-units.md, "Cells")."""
    round, position_set, cells, rows = supply_tables.latest_coverage(request.user)
    if round is None:
        return {"source_round": None}
    return {
        "source_round": round,
        "position_set": position_set,
        "material_count": len(rows),
        "disclosed_cells": sum(row["cells"] for row in rows),
        "cell_count": len(cells),
        "materials": rows,
        "figure": supply_charts.coverage_figure(rows),
        "uncovered_hidden": any(row["coverage"] is None for row in rows),
    }


def register_all() -> None:
    register(Widget("dashboards/widgets/member_work.html", MEMBERS, member_work, order=10))
    register(Widget("dashboards/widgets/desk_work.html", DESK, desk_work, order=10))
    # The ministry reads its key figures first, then the links to every round's positions.
    register(
        Widget(
            "dashboards/widgets/ministry_figures.html",
            MINISTRY,
            kept("ministry_figures", ministry_figures),
            order=5,
            charts=True,
        )
    )
    register(
        Widget(
            "dashboards/widgets/positions.html",
            AGENCY | MINISTRY,
            kept("readers_positions", readers_positions),
            order=60,
        )
    )
    # The ministry's dashboard: concentration, CRMA tracker and the slots other parts fill.
    from . import ministry

    ministry.register_all()
