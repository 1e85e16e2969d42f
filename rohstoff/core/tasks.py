import logging

from celery import shared_task

from . import outbox
from .audit import audit_check
from .jobs import active_job_for, job_fail_stale, job_running, job_start
from .models import ACTIVE_JOB_STATES, Job, JobState

log = logging.getLogger(__name__)

AUDIT_CHECK = "audit_integrity_check"


def last_audit_check() -> Job | None:
    return (
        Job.objects.filter(kind=AUDIT_CHECK, state=JobState.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )


def running_audit_check() -> Job | None:
    return active_job_for(kind=AUDIT_CHECK, subject=None)


def audit_check_start(*, created_by=None) -> Job:
    job, _created = job_start(
        kind=AUDIT_CHECK,
        created_by=created_by,
        task=run_audit_check,
    )
    return job


@shared_task
def audit_integrity_check():
    """Periodic entry point (beat): start a check job, unless one is running."""
    return str(audit_check_start().pk)


@shared_task
def run_audit_check(job_id: str):
    with job_running(job_id) as reporter:
        if reporter is None:
            return
        # Compares with the last good checkpoint and the recorded head; logs and mails the head.
        result = audit_check(progress=lambda f: reporter.progress(f, "verifying"))
        reporter.job.result = result.as_dict()


@shared_task
def fail_stale_jobs():
    """Mark jobs whose worker died as failed, so that they can be started again (every few
    seconds, so that a page polling the job shows it within about ``JOB_STALE_AFTER_SECONDS``)."""
    for job in Job.objects.filter(state__in=ACTIVE_JOB_STATES):
        job_fail_stale(job)


@shared_task
def resend_outbox() -> int:
    """Publish the tasks whose dispatch after commit failed (broker down), and forget sent ones
    after a week. Returns how many were sent."""
    sent = outbox.resend_unsent()
    outbox.purge_sent()
    return sent
