"""Demo positions for ``manage.py seed_demo``: the closed demo round (seeded by industry) is
aggregated into positions, with disclosed and hidden cells. Safe to run twice: a round that has
current positions already is left as it is."""

from __future__ import annotations

from industry.models import DemandRound, RoundState

from .models import PositionSet
from .services import aggregation_start


def seed(context: dict) -> dict:
    users = context.get("users", {})
    desk = users.get("desk@handelshaus.example")
    rounds = list((context.get("rounds") or {}).values()) or list(
        DemandRound.objects.filter(state__in=[RoundState.CLOSED, RoundState.AGGREGATED])
    )
    jobs = []
    for round in rounds:
        round.refresh_from_db()
        if round.state not in (RoundState.CLOSED, RoundState.AGGREGATED):
            continue
        if PositionSet.objects.filter(round=round, is_current=True).exists():
            continue
        # Without REDIS_URL the job runs in-process as soon as this is committed.
        job, _created = aggregation_start(round=round, actor=desk)
        jobs.append(job)
    context["position_jobs"] = jobs
    return context
