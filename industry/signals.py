"""Hooks that let higher layers react to demand-round events without industry importing them."""

from django.dispatch import Signal

# Sent by industry.rounds.services.round_close (after the state change, inside its transaction) with
# ``round`` and ``actor``. tradinghouse starts the aggregation job on commit.
round_closed = Signal()
