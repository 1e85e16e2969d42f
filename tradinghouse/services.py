"""Writes of tradinghouse: the aggregation of a round's demand lines into procurement positions.

The job runs in phases (``tradinghouse/aggregation/``): the demand lines are pooled into firm
positions and each cell's and roll-up's statistics computed in SQL (``pooling``), the new set is
compared with the round's earlier published sets (``comparison``), disclosure control decides what
is shown, and the cells are written and the set made current (``publishing``). Each phase runs in
its own transaction and reports its progress; the finished set is made current in one small
transaction, so readers see the old positions or the new ones, never a mix. A failure leaves the
previous set current and the job failed with a readable reason.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from industry.models import Commitment, DemandRound
from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict
from rohstoff.core.jobs import JobReporter, active_job_for, job_start
from rohstoff.core.models import Job, JobState

from . import disclosure
from .aggregation import (
    AGGREGATABLE_STATES,
    AGGREGATION_JOB,
    comparison,
    direct,
    pooling,
    publishing,
)
from .models import PositionSet
from .supply import supply_for_round

log = logging.getLogger(__name__)


# ---- starting the job --------------------------------------------------------------------------


def aggregation_start(*, round: DemandRound, actor, follow_up: bool = False) -> tuple[Job, bool]:
    """Start aggregating ``round`` into positions (after commit), unless a run is already active
    for it: then that job is returned. Returns (job, created). The round must be closed (or
    aggregated already, to re-aggregate)."""
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(
            _("Only a closed round can be aggregated; this one is %(state)s.")
            % {"state": round.get_state_display()}
        )
    from .tasks import aggregate_round

    with transaction.atomic():
        job, created = job_start(
            kind=AGGREGATION_JOB,
            subject=round,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            task=aggregate_round,
        )
        if created:
            if follow_up:
                # A re-run because the supply changed while the previous run worked; it does not
                # start another one itself, so a provider that never settles cannot loop.
                Job.objects.filter(pk=job.pk).update(result={"follow_up": True})
                job.result = {"follow_up": True}
            audit_record(
                actor=actor, action="positions.aggregate", obj=round, after={"job": str(job.pk)}
            )
    return job, created


def positions_refresh(*, round: DemandRound, actor=None, follow_up: bool = False) -> Job | None:
    """Re-run the aggregation of ``round``, e.g. because contracted volumes or confirmed
    allocations changed. Returns the job, or None while the round is still a draft or open (its
    positions are computed when it closes).

    When a run is already active, that run is returned; after this transaction commits we check
    again, and if the run has finished in the meantime (so it may have read the supply before the
    change) a new one starts. A run that is still active then compares the supply once more when
    it ends (see ``tasks.aggregate_round``).
    """
    if round.state not in AGGREGATABLE_STATES:
        return None
    job, created = aggregation_start(round=round, actor=actor, follow_up=follow_up)
    if not created and not follow_up:
        round_id = round.pk

        def check_again():
            fresh = DemandRound.objects.filter(pk=round_id).first()
            if (
                fresh is not None
                and fresh.state in AGGREGATABLE_STATES
                and active_job_for(kind=AGGREGATION_JOB, subject=fresh) is None
            ):
                aggregation_start(round=fresh, actor=actor)

        transaction.on_commit(check_again)
    return job


# ---- the run ---------------------------------------------------------------------------------


def aggregation_run(*, job: Job, reporter: JobReporter) -> dict:
    """The body of the aggregation task: compute a new position set for the job's round and make
    it current. Returns the supply it used (the task compares it afterwards)."""
    round = DemandRound.objects.filter(pk=job.subject_id).first()
    if round is None:
        raise StateConflict(_("The round no longer exists."))
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(_("The round was reopened; it is aggregated again when it closes."))
    min_firms, p = settings.DISCLOSURE_MIN_FIRMS, Decimal(settings.DISCLOSURE_P)
    tables = pooling.tables()

    # Leftovers of runs that failed or whose worker died were never published: clear them first.
    publishing.delete_sets(_unpublished(round))

    reporter.progress(0.05, gettext_noop("Pooling demand lines"))
    with transaction.atomic():
        position_set = PositionSet.objects.create(
            round=round, job=job, min_firms=min_firms, p_rule=p
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ~100 bytes a firm and cell: hash the groups in memory rather than sort on disk.
                cursor.execute("SET LOCAL work_mem = '64MB'")
            params = {"round_id": round.pk, "firm": Commitment.FIRM, "false": False}
            cursor.execute(
                pooling.firm_positions_sql(tables), {**params, "set_id": position_set.pk}
            )
            cursor.execute(pooling.LINE_COUNT_SQL.format(**tables), params)
            line_count = int(cursor.fetchone()[0])
        PositionSet.objects.filter(pk=position_set.pk).update(line_count=line_count)
    try:
        reporter.progress(0.55, gettext_noop("Computing cells and element roll-up"))
        cells, rollups = pooling.cell_statistics(position_set.pk, tables)
        earlier = comparison.change_statistics(round.pk, position_set.pk, tables, cells, rollups)

        reporter.progress(0.7, gettext_noop("Applying disclosure control"))
        outcomes, rollup_reasons = disclosure.decide(
            [c["input"] for c in cells.values()],
            [r["input"] for r in rollups.values()],
            min_firms=min_firms,
            p=p,
        )
        superseded = comparison.superseded_sets(earlier, outcomes, rollup_reasons)
        supply = supply_for_round(round.pk)

        reporter.progress(0.8, gettext_noop("Writing positions"))
        with transaction.atomic():
            covered = direct.decide(position_set, cells, outcomes)
            publishing.write_cells(position_set, cells, outcomes, supply, covered)
            publishing.write_rollups(position_set, rollups, rollup_reasons)

        reporter.progress(0.95, gettext_noop("Publishing positions"))
        summary = publishing.publish(position_set=position_set, round=round, job=job)
    except BaseException:
        # The half-written set is not current; remove it now (the next run would do it too).
        try:
            publishing.delete_sets(PositionSet.objects.filter(pk=position_set.pk, is_current=False))
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("Could not remove the unfinished position set %s", position_set.pk)
        raise
    reporter.job.result = {**summary, "follow_up": bool((job.result or {}).get("follow_up"))}
    publishing.delete_sets(_unpublished(round) | PositionSet.objects.filter(pk__in=superseded))
    return supply_fingerprint(supply)


def _unpublished(round: DemandRound):
    """Sets of runs that never published (failed, given up, or their worker died)."""
    return PositionSet.objects.filter(round=round, is_current=False, published_at__isnull=True)


def supply_fingerprint(supply: dict) -> dict:
    """Contracted and allocated tonnes per cell, comparable across runs."""
    return {
        key: (pooling.tonnes(Decimal(c)), pooling.tonnes(Decimal(a)))
        for key, (c, a) in supply.items()
    }


def latest_job(round: DemandRound) -> Job | None:
    return (
        Job.objects.filter(
            kind=AGGREGATION_JOB, subject_type=round._meta.label_lower, subject_id=str(round.pk)
        )
        .order_by("-created_at")
        .first()
    )


__all__ = [
    "AGGREGATION_JOB",
    "JobState",
    "aggregation_run",
    "aggregation_start",
    "positions_refresh",
]
