"""The append-only audit log with its hash chain.

Services call :func:`audit_record` inside their transaction; views never write audit events.
Each event's hash covers its content and the previous event's hash, and events are numbered
without gaps (``seq``), so :func:`audit_verify` finds an altered, removed or inserted event.
Every event also moves the recorded head (``AuditHead``) forward, and every check
(:func:`audit_check`) keeps the head it verified (``AuditCheckpoint``) and publishes it outside
the database, so that events removed from the end of the chain are found too (docs/security.md).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db import connection, models, transaction
from django.utils import timezone
from django_countries.fields import Country

from .models import AuditCheckpoint, AuditEvent, AuditHead

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
_LOCK_KEY = 7_311_995_001  # pg_advisory_xact_lock key that serialises audit writers


def to_json_value(value):
    """A JSON-safe form of a model field value (Decimals as strings, never floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Country):
        return value.code
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The named fields of ``instance`` as a JSON-safe dict (foreign keys as ids)."""
    data = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            data[name] = (
                sorted(str(o) for o in getattr(instance, name).all()) if instance.pk else []
            )
        elif field.is_relation:
            data[name] = getattr(instance, field.attname)
        else:
            data[name] = to_json_value(getattr(instance, name))
    return data


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "organisation": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id=None,
    before: dict | None = None,
    after: dict | None = None,
    organisation=None,
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction, so the event exists exactly when
    the change it describes was committed."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    if organisation is None and actor_obj is not None:
        organisation = actor_obj.organisation_id
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        event = AuditEvent(
            seq=(last.seq + 1) if last else 1,
            at=timezone.now(),
            actor=actor_obj,
            actor_label=(actor_obj.email if actor_obj else str(actor or "system"))[:254],
            organisation_id=getattr(organisation, "pk", organisation),
            action=action,
            object_type=object_type or "",
            object_id=str(object_id or ""),
            object_repr=str(obj)[:300] if obj is not None else "",
            before=to_json_value(before) if before is not None else None,
            after=to_json_value(after) if after is not None else None,
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        head = {"seq": event.seq, "hash": event.hash, "at": event.at}
        if not AuditHead.objects.filter(pk=1).update(**head):
            AuditHead.objects.create(pk=1, **head)
    return event


# What the integrity check can find; ``describe_problem`` words each for the staff page.
PROBLEM_MISSING = "missing"
PROBLEM_OUT_OF_ORDER = "out_of_order"
PROBLEM_BROKEN_CHAIN = "broken_chain"
PROBLEM_ALTERED = "altered"
PROBLEM_TAIL_REMOVED = "tail_removed"
PROBLEM_HEAD_CHANGED = "head_changed"
PROBLEM_NEWEST_REMOVED = "newest_removed"
PROBLEM_HEAD_MISMATCH = "head_mismatch"
PROBLEM_HEAD_MISSING = "head_missing"


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str = ""  # in English, for the log and the administrators' e-mail
    problem_seq: int | None = None
    problem_code: str = ""
    problem_last_seq: int | None = None  # for a removed tail: the last removed event

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problem": self.problem,
            "problem_seq": self.problem_seq,
            "problem_code": self.problem_code,
            "problem_last_seq": self.problem_last_seq,
        }


def audit_verify(*, checkpoint: dict | None = None, progress=None) -> VerifyResult:
    """Walk the whole chain and report the first event that was altered, removed or inserted.

    ``checkpoint`` is the head (``head_seq``, ``head_hash``) that an earlier check saw; events up
    to it must still be there unchanged. The head recorded by the newest event (``AuditHead``)
    must be in the chain as well, which catches events removed from the end since they were
    written. It is read before the walk: events written meanwhile only make the chain longer.
    """
    recorded = AuditHead.objects.filter(pk=1).values("seq", "hash").first()
    recorded_hash = None  # the hash of event #recorded["seq"] as the walk finds it
    total = AuditEvent.objects.count()
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    head_hash = GENESIS_HASH

    def fail(code, seq, message, last_seq=None):
        return VerifyResult(
            False, checked, expected_seq - 1, head_hash, message, seq, code, last_seq
        )

    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return fail(
                    PROBLEM_MISSING,
                    expected_seq,
                    f"Event #{expected_seq} is missing (next present: #{event.seq}).",
                    last_seq=event.seq,
                )
            return fail(
                PROBLEM_OUT_OF_ORDER,
                event.seq,
                f"Event #{event.seq} appears twice or out of order.",
            )
        if event.prev_hash != expected_prev:
            return fail(
                PROBLEM_BROKEN_CHAIN,
                event.seq,
                f"Event #{event.seq} does not follow event #{event.seq - 1}: the chain is broken.",
            )
        if event_hash(event) != event.hash:
            return fail(
                PROBLEM_ALTERED, event.seq, f"Event #{event.seq} was altered after it was written."
            )
        checked += 1
        expected_seq, expected_prev, head_hash = event.seq + 1, event.hash, event.hash
        if recorded and event.seq == recorded["seq"]:
            recorded_hash = event.hash
        if progress and total and checked % 5000 == 0:
            progress(checked / total)
    head_seq = expected_seq - 1
    if checkpoint and checkpoint.get("head_seq"):
        seq = int(checkpoint["head_seq"])
        if seq > head_seq:
            return fail(
                PROBLEM_TAIL_REMOVED,
                head_seq + 1,
                f"Events #{head_seq + 1} to #{seq} were removed since the last check.",
                last_seq=seq,
            )
        stored = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if stored != checkpoint.get("head_hash"):
            return fail(
                PROBLEM_HEAD_CHANGED, seq, f"Event #{seq} differs from what the last check saw."
            )
    if recorded is None:
        if head_seq:
            return fail(
                PROBLEM_HEAD_MISSING,
                None,
                "The recorded head of the chain is missing: the end of the chain cannot be proven.",
            )
    elif recorded["seq"] > head_seq:
        return fail(
            PROBLEM_NEWEST_REMOVED,
            head_seq + 1,
            f"Events #{head_seq + 1} to #{recorded['seq']}, the newest written, were removed.",
            last_seq=recorded["seq"],
        )
    elif recorded_hash != recorded["hash"]:
        return fail(
            PROBLEM_HEAD_MISMATCH,
            recorded["seq"],
            f"Event #{recorded['seq']} differs from the head recorded when it was written.",
        )
    return VerifyResult(True, checked, head_seq, head_hash)


def audit_check(*, progress=None) -> VerifyResult:
    """The periodic check: verify the chain against the last good checkpoint and the recorded
    head, keep what was verified as a new checkpoint, and publish the verified head outside the
    database (a log line, and a mail to ``settings.AUDIT_EMAIL``; a failure also goes to the
    administrators). A published head cannot be taken back by whoever shortens the log later."""
    last_good = AuditCheckpoint.objects.filter(ok=True).order_by("-pk").first()
    result = audit_verify(
        checkpoint=(
            {"head_seq": last_good.head_seq, "head_hash": last_good.head_hash}
            if last_good
            else None
        ),
        progress=progress,
    )
    checkpoint = AuditCheckpoint.objects.create(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        problem_code=result.problem_code,
        problem=result.problem,
    )
    _publish(result, checkpoint)
    return result


def _publish(result: VerifyResult, checkpoint: AuditCheckpoint) -> None:
    """Log the head this check verified and mail it to the audit mailbox; a failure is mailed to
    the admins too. Mail goes the one way all mail goes (queued, retried: docs/operations.md)."""
    from django.conf import settings

    from .mail import mail_enqueue

    line = (
        f"Audit chain head: #{result.head_seq} sha256:{result.head_hash} "
        f"({result.checked} events checked at {checkpoint.checked_at.isoformat()})"
    )
    if result.ok:
        log.info("%s: intact.", line)
    else:
        log.error("%s: %s", line, result.problem)
        mail_enqueue(
            template="core/email/audit_check_failed",
            to=[email for _name, email in settings.ADMINS],
            context={"problem": result.problem},
        )
    if settings.AUDIT_EMAIL:
        mail_enqueue(
            template="core/email/audit_head",
            to=[settings.AUDIT_EMAIL],
            context={
                "line": line,
                "ok": result.ok,
                "seq": result.head_seq,
                "problem": result.problem or "",
            },
        )


def describe_problem(result: dict) -> str:
    """The problem a check found, in the reader's language (``result`` is ``as_dict()``)."""
    from django.utils.translation import gettext as _

    seq, last = result.get("problem_seq"), result.get("problem_last_seq")
    messages = {
        PROBLEM_MISSING: _("Event #%(seq)s is missing (the next one present is #%(last)s)."),
        PROBLEM_OUT_OF_ORDER: _("Event #%(seq)s appears twice or out of order."),
        PROBLEM_BROKEN_CHAIN: _(
            "Event #%(seq)s does not follow event #%(prev)s: the chain is broken there."
        ),
        PROBLEM_ALTERED: _("Event #%(seq)s was altered after it was written."),
        PROBLEM_TAIL_REMOVED: _("Events #%(seq)s to #%(last)s were removed since the last check."),
        PROBLEM_HEAD_CHANGED: _("Event #%(seq)s differs from what the last check saw."),
        PROBLEM_NEWEST_REMOVED: _(
            "Events #%(seq)s to #%(last)s, the newest written, were removed."
        ),
        PROBLEM_HEAD_MISMATCH: _(
            "Event #%(seq)s differs from the head recorded when it was written."
        ),
        PROBLEM_HEAD_MISSING: _(
            "The recorded head of the chain is missing: the end of the chain cannot be proven."
        ),
    }
    template = messages.get(result.get("problem_code", ""))
    if template is None:
        return result.get("problem", "")
    return template % {"seq": seq, "last": last, "prev": (seq or 1) - 1}
