"""Celery tasks of demand rounds: close rounds at their deadline, and the member e-mails (round
opened, three days before closing). Each takes ids, guards on state and is safe to run twice."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rohstoff.core.errors import StateConflict
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


def _member_recipients() -> list[str]:
    return list(
        User.objects.filter(
            is_active=True, role__in=[Role.MEMBER, Role.MEMBER_ADMIN], organisation__is_active=True
        )
        .order_by("email")
        .values_list("email", flat=True)
    )


def _render_bilingual(template: str, round: DemandRound) -> tuple[str, str]:
    """German first, then English: users carry no language preference, and the mail must be
    understood by every member."""
    url = settings.SITE_URL + reverse("industry:round_detail", args=[round.pk])
    parts, subjects = [], []
    for language in ("de", "en"):
        with translation.override(language):
            context = {"round": round, "url": url, "closes_at": timezone.localtime(round.closes_at)}
            text = render_to_string(template, context).strip()
            subject, _sep, body = text.partition("\n")
            subjects.append(subject.strip())
            parts.append(body.strip())
    return (
        f"[Rohstoff] {subjects[0]} / {subjects[1]}",
        "\n\n----------------------------------------\n\n".join(parts),
    )


def _send_to_members(template: str, round: DemandRound) -> int:
    subject, body = _render_bilingual(template, round)
    recipients = _member_recipients()
    with get_connection() as connection:
        for email in recipients:  # one mail each: members must not learn who else takes part
            send_mail(subject, body, None, [email], connection=connection)
    return len(recipients)


def _claim_and_send(round_id: int, field: str, template: str, **due) -> int | None:
    """Mark the notice as sent with a compare-and-set, then mail it (the number of mails); None
    when another run has it or it is not due. The round's row is not locked meanwhile: every line
    save locks it, and mailing all member users can take a while. A failed sending clears the
    mark, so that the next beat run tries again."""
    now = timezone.now()
    claimed = DemandRound.objects.filter(
        pk=round_id, state=RoundState.OPEN, closes_at__gt=now, **{f"{field}__isnull": True}, **due
    ).update(**{field: now})
    if not claimed:
        return None
    try:
        return _send_to_members(template, DemandRound.objects.get(pk=round_id))
    except Exception:
        DemandRound.objects.filter(pk=round_id, **{field: now}).update(**{field: None})
        raise


@shared_task
def send_round_opened_notice(round_id: int) -> int:
    """Tell member users that a round is open, once (nothing if it opens later: the reminder task
    sends the notice when ``opens_at`` has come)."""
    sent = _claim_and_send(
        round_id,
        "opened_notice_sent_at",
        "industry/email/round_opened.txt",
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
            "industry/email/round_reminder.txt",
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
