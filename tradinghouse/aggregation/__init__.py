"""The aggregation of a round's demand lines into procurement positions, by phase.

``pooling`` pools the lines into firm positions and computes each cell's and roll-up's statistics
in SQL; ``comparison`` compares the new set with the round's earlier published sets; ``publishing``
writes the cells and makes the set current. ``tradinghouse.services`` starts and runs the job.
"""

from industry.models import RoundState

AGGREGATION_JOB = "tradinghouse.aggregate"
AGGREGATABLE_STATES = (RoundState.CLOSED, RoundState.AGGREGATED)
