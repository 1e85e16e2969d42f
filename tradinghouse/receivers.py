"""Reactions to other apps' signals. Receivers only enqueue; the work is in services and tasks."""

from django.db import transaction


def aggregate_closed_round(sender, round, actor=None, **kwargs):
    """A round closed: start aggregating it once the closing transaction has committed."""
    round_id = round.pk

    def start():
        from industry.models import DemandRound

        from .aggregation import AGGREGATABLE_STATES
        from .services import aggregation_start

        fresh = DemandRound.objects.filter(pk=round_id).first()
        if fresh is not None and fresh.state in AGGREGATABLE_STATES:
            aggregation_start(round=fresh, actor=actor)

    transaction.on_commit(start)
