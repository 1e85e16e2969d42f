"""A transactional outbox for Celery tasks: no task is lost when the broker is down.

``enqueue_on_commit(task, **kwargs)`` writes an ``OutboxMessage`` in the current transaction.
After commit it is published and marked sent; when publishing fails (Redis unreachable) the error
is logged, never raised to the caller, and the message stays unsent. The beat task
``resend_outbox`` publishes unsent messages older than ``OUTBOX_RESEND_AFTER_SECONDS`` once the
broker is back. A message may therefore be delivered twice; tasks are idempotent (they take ids
and guard on state), which makes that harmless. Without ``REDIS_URL`` Celery runs tasks eagerly,
so publishing runs the task in-process, right after the commit, as before.

See docs/operations.md.
"""

from __future__ import annotations

import datetime
import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

RESEND_BATCH = 1000
# A mail to every member of a national round's 5,000 firms is about 10,000 messages. Up to this
# many are published by the request after its commit, one by one, as always; more are written in
# one statement and published by workers in batches of PUBLISH_BATCH, so that the request that
# decided on them does not spend its time on the broker (docs/operations.md, "The outbox").
PUBLISH_INLINE = 20
PUBLISH_BATCH = 1000


def task_name(task) -> str:
    return task if isinstance(task, str) else task.name


def enqueue_on_commit(task, /, **kwargs) -> OutboxMessage:
    """Queue ``task`` (a Celery task or its registered name) with ``kwargs`` (JSON-serialisable)
    to be published once the current transaction commits; immediately in autocommit mode.

    Use it instead of ``transaction.on_commit(lambda: task.delay(...))``, which raises into the
    request after the commit when the broker is down, and loses the task."""
    return _write(task, kwargs)


def enqueue_job_on_commit(task, job) -> OutboxMessage:
    """Queue ``task(job_id=...)`` for ``job`` (see ``rohstoff.core.jobs.job_start``)."""
    return _write(task, {"job_id": str(job.pk)}, job=job)


def enqueue_many_on_commit(task, kwargs_list: list[dict]) -> int:
    """Queue ``task`` once for each of ``kwargs_list``, as :func:`enqueue_on_commit` would, with
    one INSERT per thousand messages; a large number is published after commit by workers
    (:func:`publish_many`). Returns the number queued."""
    name = task_name(task)
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=name, kwargs=kwargs) for kwargs in kwargs_list], batch_size=1000
    )
    ids = [message.pk for message in messages]
    if len(ids) <= PUBLISH_INLINE:
        for message_id in ids:
            transaction.on_commit(lambda message_id=message_id: publish(message_id), robust=True)
    else:
        transaction.on_commit(lambda: publish_later(ids), robust=True)
    return len(ids)


def publish_later(message_ids: list[int]) -> int:
    """Hand ``message_ids`` to workers, a batch of ``PUBLISH_BATCH`` per task (in eager mode the
    batches run here). A batch that cannot be handed over (broker down) stays unsent in the
    outbox, where ``resend_outbox`` finds it. Never raises; returns the batches handed over."""
    from .tasks import publish_outbox

    handed = 0
    for start in range(0, len(message_ids), PUBLISH_BATCH):
        batch = message_ids[start : start + PUBLISH_BATCH]
        try:
            publish_outbox.apply_async(kwargs={"message_ids": batch})
        except Exception as exc:  # noqa: BLE001 - a broker outage must not reach the request
            log.warning(
                "Could not hand %s outbox messages to a worker: %s; resend_outbox sends them",
                len(message_ids) - start,
                exc,
            )
            break
        handed += 1
    return handed


def publish_many(message_ids: list[int]) -> int:
    """Publish the unsent messages among ``message_ids`` and mark them sent (a worker's part of
    :func:`publish_later`): one query to read them, one to mark them. Rows another worker holds
    are skipped, so that a batch delivered twice does not publish twice. Stops at the first
    failure, which is recorded on that message; the rest stay unsent for ``resend_outbox``.
    Returns how many were sent."""
    sent: list[int] = []
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "task", "kwargs")
        )
        for message_id, name, kwargs in messages:
            try:
                _resolve(name).apply_async(kwargs=kwargs)
            except Exception as exc:  # noqa: BLE001 - recorded; resend_outbox tries again
                log.warning("Could not publish outbox message %s: %s", message_id, exc)
                OutboxMessage.objects.filter(pk=message_id).update(
                    attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
                )
                break
            sent.append(message_id)
        OutboxMessage.objects.filter(pk__in=sent).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    return len(sent)


def _write(task, kwargs: dict, job=None) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task_name(task), kwargs=kwargs, job=job)
    transaction.on_commit(lambda message_id=message.pk: publish(message_id), robust=True)
    return message


def _resolve(name: str):
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()  # autodiscovery is lazy in a web process
    return app.tasks[name]


def publish(message_id: int) -> bool:
    """Hand one message to the broker (or run it, in eager mode) and mark it sent.

    False when it could not be published: the error is logged and recorded on the message, which
    ``resend_outbox`` will try again. Never raises.
    """
    try:
        message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
        if message is None:
            return True  # sent meanwhile by the other path
        _resolve(message.task).apply_async(kwargs=message.kwargs)
    except Exception as exc:  # noqa: BLE001 - a broker outage must not reach the request
        log.warning("Could not publish outbox message %s: %s", message_id, exc)
        try:
            OutboxMessage.objects.filter(pk=message_id).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
        except Exception:  # noqa: BLE001 - the database may be the thing that failed
            log.exception("Could not record the failed publish of outbox message %s", message_id)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def resend_unsent(*, older_than: float | None = None, limit: int = RESEND_BATCH) -> int:
    """Publish unsent messages created more than ``older_than`` seconds ago (default
    ``OUTBOX_RESEND_AFTER_SECONDS``), oldest first. Stops at the first failure (the broker is
    still down; the next run tries again). Returns how many were sent."""
    if older_than is None:
        older_than = settings.OUTBOX_RESEND_AFTER_SECONDS
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than)
    due = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = publish_many(due) if due else 0
    if due:
        log.info("Outbox: re-sent %s of %s unsent messages.", sent, len(due))
    return sent


def purge_sent(*, older_than_days: int = 7) -> int:
    """Delete sent messages older than ``older_than_days``; they are only a record."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
