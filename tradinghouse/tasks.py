"""Celery tasks of tradinghouse. They take ids, guard on state and are safe to run twice."""

import logging

from celery import shared_task

from rohstoff.core.jobs import job_running
from rohstoff.core.models import Job, JobState

from . import services

log = logging.getLogger(__name__)


@shared_task(name="tradinghouse.tasks.aggregate_round")
def aggregate_round(job_id: str) -> None:
    """Aggregate the job's round into a new, current position set.

    A redelivered task whose job has finished (or is running elsewhere and alive) does nothing.
    After a successful run, if contracted or allocated supply changed while it ran, the
    positions are refreshed once more so that they never keep a stale supply figure.
    """
    used_supply = None
    with job_running(job_id) as reporter:
        if reporter is None:
            return
        used_supply = services.aggregation_run(job=reporter.job, reporter=reporter)
    job = Job.objects.filter(pk=job_id).first()
    if (
        job is None
        or job.state != JobState.SUCCEEDED
        or used_supply is None
        or job.result.get("follow_up")
    ):
        return
    round_id = int(job.subject_id)
    if services.supply_fingerprint(services.supply_for_round(round_id)) != used_supply:
        from industry.models import DemandRound

        round = DemandRound.objects.filter(pk=round_id).first()
        if round is not None:
            log.info(
                "Supply of round %s changed during aggregation; refreshing its positions.", round_id
            )
            services.positions_refresh(round=round, actor=job.created_by, follow_up=True)
