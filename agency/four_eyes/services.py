"""The four-eyes service every subject that needs two approvals uses (stake proposals, stockpile
releases): who may decide, counting approvals on the current revision, rejection with a reason,
voiding on change. The rules: docs/four-eyes.md.

Locking precondition for every function here: the caller holds the subject's row lock
(``select_for_update``) inside ``transaction.atomic``, so two approvers acting at the same moment
are serialised and exactly one of them completes the approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.mfa import has_second_factor
from rohstoff.core.models import Role

from .models import Approval, Decision

REQUIRED_APPROVALS = 2


@dataclass(frozen=True)
class Outcome:
    approvals: int  # approvals of the current revision, this one included
    complete: bool  # the required number is reached


def _subject_filter(subject) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(type(subject)),
        "object_id": subject.pk,
    }


def decisions(subject) -> QuerySet[Approval]:
    """Every decision ever taken on ``subject`` (voided ones too), oldest first."""
    return Approval.objects.filter(**_subject_filter(subject)).select_related("approver")


def current_approvals(subject) -> QuerySet[Approval]:
    """The approvals that count: given on the subject's current revision."""
    return decisions(subject).filter(
        revision=subject.revision, decision=Decision.APPROVE, voided_at__isnull=True
    )


def may_decide(subject, user) -> str | None:
    """Why ``user`` may not approve or reject ``subject`` (a sentence), or None when they may."""
    if getattr(user, "role", None) != Role.AGENCY_APPROVER:
        return _("Only agency approvers approve or reject.")
    if user.pk == subject.author_id:
        return _("The author cannot approve or reject their own proposal.")
    if not has_second_factor(user):
        return _("Set up your second factor before you approve or reject.")
    return None


def _check(subject, actor) -> None:
    reason = may_decide(subject, actor)
    if reason:
        raise StateConflict(reason)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("four_eyes: the caller holds the subject's row lock in a transaction")


def approve(*, subject, actor, audit_action: str) -> Outcome:
    """Record ``actor``'s approval of the subject's current revision. The same approver twice on
    one revision is refused (it counts once)."""
    _check(subject, actor)
    mine = decisions(subject).filter(revision=subject.revision, approver=actor).first()
    if mine is not None:
        raise StateConflict(
            _("You have already decided on this version; a second approver is needed.")
        )
    Approval.objects.create(
        **_subject_filter(subject),
        revision=subject.revision,
        approver=actor,
        decision=Decision.APPROVE,
    )
    count = current_approvals(subject).count()
    outcome = Outcome(approvals=count, complete=count >= REQUIRED_APPROVALS)
    audit_record(
        actor=actor,
        action=f"{audit_action}.approve",
        obj=subject,
        after={"revision": subject.revision, "approvals": count, "complete": outcome.complete},
    )
    return outcome


def reject(*, subject, actor, reason: str, audit_action: str) -> None:
    """Record ``actor``'s rejection with its reason; the caller closes the subject."""
    _check(subject, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    Approval.objects.update_or_create(
        **_subject_filter(subject),
        revision=subject.revision,
        approver=actor,
        defaults={"decision": Decision.REJECT, "reason": reason},
    )
    audit_record(
        actor=actor,
        action=f"{audit_action}.reject",
        obj=subject,
        after={"revision": subject.revision, "reason": reason},
    )


def void(*, subject, actor, audit_action: str) -> int:
    """After a change to the subject (its revision already raised): mark the approvals given on
    earlier revisions void, and log it when there were any. Returns how many were voided."""
    voided = (
        decisions(subject)
        .filter(revision__lt=subject.revision, decision=Decision.APPROVE, voided_at__isnull=True)
        .update(voided_at=timezone.now())
    )
    if voided:
        audit_record(
            actor=actor,
            action=f"{audit_action}.approvals_voided",
            obj=subject,
            before={"approvals": voided},
            after={"approvals": 0, "revision": subject.revision},
        )
    return voided
