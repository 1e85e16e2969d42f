"""Background jobs: start one (at most one active per subject), report progress, finish.

Tasks take a job id, claim the job with compare-and-set, and report into the ``Job`` row from
outside any long transaction so that pages see the progress while the job runs. ``job_start``
dispatches through the outbox (``rohstoff.core.outbox``), so a job is never lost because the broker
was down; a running job beats from a background thread, so a dead worker is seen within
``JOB_STALE_AFTER_SECONDS``. The rules are in docs/operations.md.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ACTIVE_JOB_STATES, Job, JobState, OutboxMessage

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


def _last_seen(job: Job) -> datetime.datetime:
    return job.heartbeat_at or job.started_at or job.created_at


def _is_stale(job: Job) -> bool:
    """A running job whose heartbeat is older than ``JOB_STALE_AFTER_SECONDS``."""
    limit = datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    return job.state == JobState.RUNNING and timezone.now() - _last_seen(job) > limit


def _queued_since(job: Job) -> datetime.datetime | None:
    """When a queued job reached the broker; None while its dispatch is still in the outbox
    (the broker was down: the job waits for it, it is not lost)."""
    messages = OutboxMessage.objects.filter(job=job)
    if messages.filter(sent_at__isnull=True).exists():
        return None
    sent = messages.order_by("-sent_at").values_list("sent_at", flat=True).first()
    return sent or job.created_at


def job_fail_stale(job: Job) -> bool:
    """Mark an active job whose worker has gone silent as failed, with a readable error; True if
    it was. Running: no heartbeat for ``JOB_STALE_AFTER_SECONDS``. Queued: sent to the broker
    more than ``JOB_QUEUED_STALE_AFTER_SECONDS`` ago and no worker took it."""
    if job.state == JobState.RUNNING:
        if not _is_stale(job):
            return False
        seen = _last_seen(job)
        # Only if no heartbeat arrived since we looked: a live worker keeps its job.
        still_silent = {"heartbeat_at": job.heartbeat_at}
        error = _(
            "The worker stopped while the job was running (last sign of life %(time)s). Start it again."
        )
    elif job.state == JobState.QUEUED:
        seen = _queued_since(job)
        limit = datetime.timedelta(seconds=settings.JOB_QUEUED_STALE_AFTER_SECONDS)
        if seen is None or timezone.now() - seen <= limit:
            return False
        still_silent = {}
        error = _("No worker took up the job that was queued at %(time)s. Start it again.")
    else:
        return False
    updated = Job.objects.filter(pk=job.pk, state=job.state, **still_silent).update(
        state=JobState.FAILED,
        finished_at=timezone.now(),
        error=error % {"time": timezone.localtime(seen).strftime("%Y-%m-%d %H:%M:%S")},
    )
    if updated:
        log.warning("Job %s (%s) was %s and is now counted as lost.", job.pk, job.kind, job.state)
    return updated == 1


def job_start(
    *,
    kind: str,
    subject=None,
    created_by=None,
    task=None,
    enqueue: Callable[[str], None] | None = None,
) -> tuple[Job, bool]:
    """Create a queued job and dispatch ``task`` (a Celery task or its name, called with
    ``job_id=...``) through the outbox after commit, unless a job is already active for the same
    subject: then that one is returned. Returns (job, created).

    A job found lost (see ``job_fail_stale``) is failed and a new one is started.
    ``enqueue(job_id)`` instead of ``task`` is for callers that run the job themselves (the
    benchmark): it is called after commit, and its errors are logged, not raised.
    """
    if (task is None) == (enqueue is None):
        raise TypeError("job_start needs exactly one of task= or enqueue=")
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
                if task is not None:
                    from .outbox import enqueue_job_on_commit

                    enqueue_job_on_commit(task, job)
                else:
                    transaction.on_commit(lambda job_id=str(job.pk): enqueue(job_id), robust=True)
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


class _Heartbeat(threading.Thread):
    """Beats for a running job every ``JOB_HEARTBEAT_SECONDS`` from its own thread and database
    connection, so that a task busy in one long SQL statement still shows it is alive. Stops when
    the job ends, or when the job is no longer running (given up meanwhile)."""

    def __init__(self, job_id):
        super().__init__(name=f"job-heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.interval = float(settings.JOB_HEARTBEAT_SECONDS)
        self._done = threading.Event()

    def run(self):
        try:
            while not self._done.wait(self.interval):
                try:
                    alive = Job.objects.filter(pk=self.job_id, state=JobState.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # noqa: BLE001 - try again at the next beat
                    log.warning("Heartbeat of job %s failed", self.job_id, exc_info=True)
                    connection.close()
                    continue
                if not alive:
                    return
        finally:
            connections.close_all()  # this thread's connections only

    def stop(self):
        self._done.set()
        self.join(timeout=max(5.0, self.interval))


@contextmanager
def job_running(job_id: str):
    """Claim the job (queued -> running) and yield a reporter; record success or failure. While
    the body runs, a heartbeat thread keeps ``heartbeat_at`` fresh.

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
    heartbeat = _Heartbeat(job.pk)
    heartbeat.start()
    try:
        yield reporter
    except Exception as exc:
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        _record_failure(job.pk, readable_error(exc))
        return
    finally:
        heartbeat.stop()
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
