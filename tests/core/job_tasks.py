"""A tiny job task for the job and outbox tests (registered on the Celery app when imported)."""

from celery import shared_task

from rohstoff.core.jobs import job_running

TASK = "tests.core.complete_job"


@shared_task(name=TASK)
def complete_job(job_id: str) -> None:
    with job_running(job_id) as reporter:
        if reporter is not None:
            reporter.job.result = {"ran": True}
