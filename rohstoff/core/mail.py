"""Mail, one way: every e-mail the platform sends is queued here and sent by a Celery task.

``mail_enqueue(template=..., to=[...], context={...})`` queues one task per recipient through the
transactional outbox (``rohstoff.core.outbox``): nothing goes out when the transaction rolls back,
and a broker outage at that moment leaves an outbox row that ``resend_outbox`` delivers later.
The task (``rohstoff.core.tasks.mail_send``) renders ``<template>_subject.txt`` and
``<template>.txt`` in the recipient's language (their saved language, else German), and retries
with backoff when the mail server cannot be reached. A run that is delivered twice sends once (a
marker per mail in the cache, claimed with ``cache.add``).

The context travels as ids and plain values: model instances become references that the task loads
again, so the mail shows the object as it is when it is sent, in the recipient's language
(``get_status_display``, ``material.name``); dates, moments and decimals keep their type and are
formatted in the template with ``rohstoff_format`` (``when``, ``day``, ``tonnes``). Links come from
``absolute_url``. See docs/operations.md ("Mail").
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .language import reader_language

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Rohstoff] "
_TAG = "__mail__"


def absolute_url(viewname: str, *args, **kwargs) -> str:
    """``SITE_URL`` followed by ``reverse(viewname, args, kwargs)``: a link that works in a mail."""
    return settings.SITE_URL + reverse(viewname, args=args or None, kwargs=kwargs or None)


def mail_enqueue(
    *,
    template: str,
    to: Iterable,
    context: dict | None = None,
    language: str | None = None,
) -> int:
    """Queue the mail ``template`` to each of ``to`` (users or addresses), one mail each, so that
    recipients do not learn of each other. Sent after the current transaction commits.

    ``language`` fixes the language; otherwise a user reads in their saved language, an address
    in the language of the user who has it, else in the platform's (German). Returns the number
    of mails queued.
    """
    from .outbox import enqueue_many_on_commit
    from .tasks import mail_send

    payload = encode(context or {})
    messages = []
    for recipient in to:
        if isinstance(recipient, str):
            email, user_id = recipient, None
        else:
            email, user_id = recipient.email, recipient.pk
        if not email:
            continue
        messages.append(
            {
                "template": template,
                "email": email,
                "user_id": user_id,
                "context": payload,
                "language": language,
                "key": uuid.uuid4().hex,
            }
        )
    return enqueue_many_on_commit(mail_send, messages)


# ---- the context as ids and plain values ------------------------------------------------------


class MissingObject(Exception):
    """An object the mail refers to is gone: the mail is no longer meant to be sent."""


def encode(value):
    """``value`` as JSON-serialisable data: model instances become references (label and id)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return {_TAG: "model", "label": value._meta.label, "pk": value.pk}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "value": str(value)}
    if isinstance(value, datetime.datetime):
        return {_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, datetime.date):
        return {_TAG: "date", "value": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    raise TypeError(
        f"A mail's context holds model instances and plain values, not {type(value).__name__}."
    )


def decode(value):
    """The inverse of ``encode``; raises ``MissingObject`` when a referenced object is gone (one
    gone from a list is left out of the list)."""
    if isinstance(value, list):
        items = []
        for item in value:
            try:
                items.append(decode(item))
            except MissingObject:
                continue
        return items
    if not isinstance(value, dict):
        return value
    kind = value.get(_TAG)
    if kind is None:
        return {k: decode(v) for k, v in value.items()}
    if kind == "model":
        obj = apps.get_model(value["label"])._default_manager.filter(pk=value["pk"]).first()
        if obj is None:
            raise MissingObject(f"{value['label']} #{value['pk']}")
        return obj
    if kind == "decimal":
        return Decimal(value["value"])
    if kind == "datetime":
        return datetime.datetime.fromisoformat(value["value"])
    if kind == "date":
        return datetime.date.fromisoformat(value["value"])
    raise ValueError(f"Unknown value in a mail's context: {kind}")


# ---- rendering and sending (in the task) ------------------------------------------------------


def render(template: str, context: dict, *, language: str) -> tuple[str, str]:
    """Subject (one line, with the platform's prefix) and body of ``template`` in ``language``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}.txt", context)
    subject = " ".join(subject.split())
    return SUBJECT_PREFIX + subject, body.strip() + "\n"


def build_message(
    *, template: str, email: str, user_id: int | None, context: dict, language: str | None
) -> EmailMessage | None:
    """The message to send, or None when it is no longer meant to be sent (the recipient's
    account was deactivated, or an object it refers to is gone)."""
    from .models import User

    user = None
    if user_id is not None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            log.info("Mail %s not sent: user %s is gone or inactive.", template, user_id)
            return None
        email = user.email
    try:
        values = decode(context)
    except MissingObject as exc:
        log.info("Mail %s to %s not sent: %s is gone.", template, email, exc)
        return None
    if not language:
        # An address (a shared mailbox, say) that is also a user's reads in that user's language.
        reader = user or User.objects.filter(email__iexact=email).first()
        language = reader_language(user=reader) if reader else settings.LANGUAGE_CODE
    subject, body = render(template, {**values, "recipient": user}, language=language)
    return EmailMessage(subject=subject, body=body, to=[email])


# A mail being sent is claimed for this long; a run that finds it claimed looks again later
# (its worker may have died while sending).
CLAIM_SECONDS = 300
SENT_MARKER_SECONDS = 2 * 24 * 3600


def claim(key: str) -> str:
    """ "claimed" when this run may send the mail ``key``; "sent" when it went out already;
    "busy" when another run is sending it."""
    if cache.add(f"mail:{key}", "sending", timeout=CLAIM_SECONDS):
        return "claimed"
    return "sent" if cache.get(f"mail:{key}") == "sent" else "busy"


def mark_sent(key: str) -> None:
    cache.set(f"mail:{key}", "sent", timeout=SENT_MARKER_SECONDS)


def release(key: str) -> None:
    cache.delete(f"mail:{key}")


def park(*, task: str, kwargs: dict, round_: int, error: Exception) -> bool:
    """Keep a mail that ran out of retries for another round of tries, ``MAIL_ROUND_PAUSE_SECONDS``
    later: an unsent outbox row dated in the future, which ``resend_outbox`` publishes once it is
    due. False after ``MAIL_ROUNDS`` rounds: the mail is given up (the task logs it as an error)."""
    from .models import OutboxMessage

    if round_ >= settings.MAIL_ROUNDS:
        return False
    due = timezone.now() + datetime.timedelta(seconds=settings.MAIL_ROUND_PAUSE_SECONDS)
    OutboxMessage.objects.create(
        task=task,
        kwargs={**kwargs, "mail_round": round_ + 1},
        created_at=due - datetime.timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS),
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    return True
