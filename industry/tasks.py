"""Celery tasks of demand rounds: close rounds at their deadline, and queue the member e-mails
(round opened, three days before closing). Each takes ids, guards on state and is safe to run
twice."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from rohstoff.core.errors import StateConflict
from rohstoff.core.mail import absolute_url, mail_enqueue
from rohstoff.core.models import Role, User

from .models import DemandRound, RoundState
from .upload import services as upload_services

log = logging.getLogger(__name__)

REMINDER_BEFORE = datetime.timedelta(days=3)


@shared_task
def close_due_rounds() -> list[int]:
    """Beat, every minute: close every open round whose ``closes_at`` has passed."""
    from .rounds.services import round_close

    closed = []
    due = DemandRound.objects.filter(
        state=RoundState.OPEN, closes_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            round_close(round=DemandRound.objects.get(pk=pk), actor=None)
        except StateConflict:
            continue  # closed by the desk meanwhile
        closed.append(pk)
        log.info("Closed demand round %s at its deadline", pk)
    return closed


def _member_recipients():
    return User.objects.filter(
        is_active=True, role__in=[Role.MEMBER, Role.MEMBER_ADMIN], organisation__is_active=True
    ).order_by("email")


def _claim_and_send(round_id: int, field: str, template: str, **due) -> int | None:
    """Mark the notice as sent with a compare-and-set and queue one mail per member user (in the
    user's language; members must not learn who else takes part), in one transaction: the
    number of mails, or None when another run has it or it is not due. The mails go out after
    the commit, each retried on its own when the mail server fails (rohstoff.core.mail); the
    round's row is not locked while they are sent."""
    now = timezone.now()
    with transaction.atomic():
        claimed = DemandRound.objects.filter(
            pk=round_id,
            state=RoundState.OPEN,
            closes_at__gt=now,
            **{f"{field}__isnull": True},
            **due,
        ).update(**{field: now})
        if not claimed:
            return None
        round = DemandRound.objects.get(pk=round_id)
        return mail_enqueue(
            template=template,
            to=_member_recipients(),
            context={"round": round, "url": absolute_url("industry:round_detail", round.pk)},
        )


@shared_task
def send_round_opened_notice(round_id: int) -> int:
    """Tell member users that a round is open, once (nothing if it opens later: the reminder task
    sends the notice when ``opens_at`` has come)."""
    sent = _claim_and_send(
        round_id,
        "opened_notice_sent_at",
        "industry/email/round_opened",
        opens_at__lte=timezone.now(),
    )
    return sent or 0


@shared_task
def send_deadline_reminders() -> dict:
    """Beat: notices of rounds that have opened meanwhile, and the reminder three days before a
    round closes (once per round and deadline)."""
    now = timezone.now()
    opened = list(
        DemandRound.objects.filter(
            state=RoundState.OPEN,
            opens_at__lte=now,
            closes_at__gt=now,
            opened_notice_sent_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    for pk in opened:
        send_round_opened_notice(pk)
    due = DemandRound.objects.filter(
        state=RoundState.OPEN,
        reminder_sent_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
        opens_at__lte=now,
    ).values_list("pk", flat=True)
    reminded = [
        pk
        for pk in list(due)
        if _claim_and_send(
            pk,
            "reminder_sent_at",
            "industry/email/round_reminder",
            closes_at__lte=now + REMINDER_BEFORE,
        )
        is not None
    ]
    return {"opened": opened, "reminded": reminded}


@shared_task
def purge_stale_uploads() -> int:
    """Daily (beat): delete previews that were never committed after two days, with the file
    they kept; committed and refused uploads keep only their counts and errors already."""
    return upload_services.upload_purge_stale()


@shared_task
def run_demand_export(job_id: str) -> None:
    """Write a large demand export into private storage (industry.demandexport). Takes the job's
    id; a job already finished or running elsewhere is left alone, so a redelivery is harmless."""
    from .demandexport.services import run_export_job

    run_export_job(job_id)


@shared_task
def purge_expired_exports() -> int:
    """Hourly (beat): delete export files past ``EXPORT_FILE_TTL_HOURS``."""
    from .demandexport.services import export_purge_expired

    return export_purge_expired()
