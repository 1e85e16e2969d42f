import logging

from celery import shared_task

from . import mail, outbox
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
def publish_outbox(*, message_ids: list[int]) -> int:
    """Publish a batch of outbox messages that a request queued by the thousand (a mail to every
    member of a national round). Safe to run twice: only unsent messages are published."""
    return outbox.publish_many(message_ids)


@shared_task
def resend_outbox() -> int:
    """Publish the tasks whose dispatch after commit failed (broker down), and forget sent ones
    after a week. Returns how many were sent."""
    sent = outbox.resend_unsent()
    outbox.purge_sent()
    return sent


@shared_task(
    bind=True,
    # SMTPException, refused connections and timeouts are all OSErrors.
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
)
def mail_send(
    self,
    *,
    template: str,
    email: str,
    key: str,
    user_id: int | None = None,
    context: dict | None = None,
    language: str | None = None,
    mail_round: int = 1,
) -> bool:
    """Send one mail queued by ``rohstoff.core.mail.mail_enqueue``; True when it went out now.

    Safe to run twice: the mail's ``key`` is claimed before sending and marked sent after, so a
    second delivery of the task does nothing. A mail server error releases the claim and the task
    is retried with growing pauses of up to an hour (ten times); then it is logged as an error and
    parked in the outbox for another round of tries some hours later (``mail.park``), up to
    ``MAIL_ROUNDS`` rounds."""
    state = mail.claim(key)
    if state == "sent":
        return False
    if state == "busy":  # another run is sending it, or died doing so: look again later
        raise self.retry(countdown=mail.CLAIM_SECONDS)
    try:
        message = mail.build_message(
            template=template,
            email=email,
            user_id=user_id,
            context=context or {},
            language=language,
        )
        if message is not None:
            message.send()
    except Exception as exc:
        mail.release(key)
        if isinstance(exc, OSError) and self.request.retries >= self.max_retries:
            # Out of retries: park the mail for a later round rather than drop it
            # (docs/operations.md, "Mail").
            parked = mail.park(
                task=self.name,
                kwargs={
                    "template": template,
                    "email": email,
                    "key": key,
                    "user_id": user_id,
                    "context": context,
                    "language": language,
                },
                round_=mail_round,
                error=exc,
            )
            log.error(
                "Mail %s to %s not sent after %s tries (round %s): %s; %s",
                template,
                email,
                self.max_retries + 1,
                mail_round,
                exc,
                "parked for a later round" if parked else "given up",
            )
            if parked:
                return False
        raise
    mail.mark_sent(key)
    return message is not None
