"""After a contract or allocation changes: let tradinghouse refresh the round's positions."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from rohstoff.core.errors import StateConflict

log = logging.getLogger(__name__)


def refresh_positions(*, round, actor) -> None:
    """After commit: let the positions of ``round`` pick up the new contracted and allocated
    tonnes (tradinghouse re-runs its aggregation job; it ignores rounds still in draft or open,
    whose positions are computed when they close)."""

    def refresh():
        from tradinghouse.services import positions_refresh

        try:
            positions_refresh(round=round, actor=actor)
        except (StateConflict, ValidationError) as exc:
            log.warning("positions of round %s not refreshed: %s", round.pk, exc)

    transaction.on_commit(refresh)
