"""Background jobs: start one (at most one active per subject), report progress, finish.

Tasks take a job id, claim the job with compare-and-set, and report into the ``Job`` row from
outside any long transaction so that pages see the progress while the job runs.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ACTIVE_JOB_STATES, Job, JobState

log = logging.getLogger(__name__)


def subject_key(subject) -> tuple[str, str]:
    if subject is None:
        return "", ""
    return subject._meta.label_lower, str(subject.pk)


def active_job_for(*, kind: str, subject) -> Job | None:
    subject_type, subject_id = subject_key(subject)
    return (
        Job.objects.filter(
            kind=kind, subject_type=subject_type, subject_id=subject_id, state__in=ACTIVE_JOB_STATES
        )
        .order_by("-created_at")
        .first()
    )


def _is_stale(job: Job) -> bool:
    seen = job.heartbeat_at or job.created_at
    return timezone.now() - seen > datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


def job_fail_stale(job: Job) -> bool:
    """Mark an active job whose worker has gone silent as failed. True if it was stale."""
    if not job.is_active or not _is_stale(job):
        return False
    seen = timezone.localtime(job.heartbeat_at or job.created_at)
    updated = Job.objects.filter(pk=job.pk, state=job.state).update(
        state=JobState.FAILED,
        finished_at=timezone.now(),
        error=_(
            "The worker stopped while the job was running (last sign of life %(time)s). Start it again."
        )
        % {"time": seen.strftime("%Y-%m-%d %H:%M")},
    )
    return updated == 1


def job_start(
    *, kind: str, subject=None, created_by=None, enqueue: Callable[[str], None]
) -> tuple[Job, bool]:
    """Create a queued job and enqueue its task after commit, unless one is already active for the
    same subject: then that one is returned. Returns (job, created)."""
    subject_type, subject_id = subject_key(subject)
    for _attempt in range(2):
        existing = active_job_for(kind=kind, subject=subject)
        if existing is not None:
            if job_fail_stale(existing):
                continue
            return existing, False
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    created_by=created_by,
                )
                transaction.on_commit(lambda job_id=str(job.pk): enqueue(job_id))
            return job, True
        except IntegrityError:
            continue  # another trigger won the race; answer with its job
    existing = active_job_for(kind=kind, subject=subject)
    if existing is None:  # pragma: no cover - would need three racing triggers
        raise RuntimeError("could not start or find the job")
    return existing, False


class JobReporter:
    """What a running task uses to report progress; also the heartbeat that shows it is alive."""

    def __init__(self, job: Job):
        self.job = job

    def progress(self, fraction: float, phase: str = "") -> None:
        fraction = max(0.0, min(1.0, float(fraction)))
        now = timezone.now()
        Job.objects.filter(pk=self.job.pk).update(
            progress=fraction, phase=phase[:200], heartbeat_at=now
        )
        self.job.progress, self.job.phase, self.job.heartbeat_at = fraction, phase, now


def readable_error(exc: BaseException) -> str:
    if isinstance(exc, DatabaseError):
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _("Database error: %(detail)s") % {"detail": first_line}
    text = str(exc).strip()
    return text or type(exc).__name__


@contextmanager
def job_running(job_id: str):
    """Claim the job (queued -> running) and yield a reporter; record success or failure.

    Yields None when the job is not ours to run (already finished, or running elsewhere and still
    alive): the task then does nothing, which makes a redelivered task harmless.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        job = Job.objects.filter(pk=job_id).first()
        # A redelivery after the worker died: take the job over once its heartbeat is stale.
        if job is None or job.state != JobState.RUNNING or not _is_stale(job):
            yield None
            return
        if not Job.objects.filter(
            pk=job_id, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(heartbeat_at=now):
            yield None
            return
    job = Job.objects.get(pk=job_id)
    reporter = JobReporter(job)
    try:
        yield reporter
    except Exception as exc:
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        _record_failure(job.pk, readable_error(exc))
        return
    # Only a job that is still running finishes here: one given up meanwhile (its worker seemed
    # dead and the job was failed, perhaps restarted) keeps what was recorded for it.
    if not Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.SUCCEEDED, progress=1.0, finished_at=timezone.now(), result=job.result
    ):
        log.warning(
            "Job %s (%s) finished after it had been given up; left as it is.", job.pk, job.kind
        )


def _record_failure(job_id, message: str) -> None:
    fields = {"state": JobState.FAILED, "error": message[:2000], "finished_at": timezone.now()}
    running = Job.objects.filter(pk=job_id, state=JobState.RUNNING)
    try:
        running.update(**fields)
    except DatabaseError:
        # The failure may have broken the connection itself; retry once on a fresh one.
        connection.close()
        running.update(**fields)
