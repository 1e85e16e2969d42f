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


def refresh_for_reported_contracts(sender, material_ids, actor=None, **kwargs):
    """A member's reported contracts changed: its covered-directly tonnes and open demand change
    in every aggregated round of those materials (docs/reported-contracts.md)."""
    ids = sorted(set(material_ids))

    def refresh():
        from industry.models import DemandRound

        from .aggregation import AGGREGATABLE_STATES
        from .services import positions_refresh

        rounds = DemandRound.objects.filter(
            state__in=AGGREGATABLE_STATES, materials__in=ids
        ).distinct()
        for round in rounds:
            positions_refresh(round=round, actor=actor)

    transaction.on_commit(refresh)
