"""Hooks that let higher layers react to demand-round events without industry importing them."""

from django.dispatch import Signal

# Sent by industry.rounds.services.round_close (after the state change, inside its transaction) with
# ``round`` and ``actor``. tradinghouse starts the aggregation job on commit.
round_closed = Signal()

# Sent by industry.reported.services after a member reported, changed or deleted a contract it
# concluded itself (inside the transaction) with ``material_ids`` and ``actor``. tradinghouse
# refreshes the positions of the aggregated rounds of those materials on commit.
reported_contracts_changed = Signal()
