"""Every write of demand rounds: keyword-only, atomic, audit-logged.

Locking: every change of a round locks its row (``lock_round``); the line services lock the same
row first, so a line save and the close of its round are serialised.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import User
from rohstoff.core.outbox import enqueue_on_commit
from rohstoff.core.periods import PeriodError, Quarter

from .. import policy, signals
from ..models import (
    DEFAULT_TERMS,
    DemandRound,
    RoundState,
    TermsAcceptance,
)

ROUND_FIELDS = [
    "title",
    "description",
    "materials",
    "first_quarter",
    "last_quarter",
    "opens_at",
    "closes_at",
    "min_quantity_t",
    "terms",
    "state",
]


def _check_round_values(
    *, title, materials, first_period, last_period, opens_at, closes_at, min_quantity_t
) -> tuple[int, int]:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the round a title.")
    if not materials:
        errors["materials"] = _("Choose at least one material.")
    first = last = None
    for name, value in (("first_period", first_period), ("last_period", last_period)):
        try:
            quarter = value if isinstance(value, Quarter) else Quarter.parse(str(value))
        except PeriodError:
            errors[name] = _("Write a quarter such as 2027-Q1.")
            continue
        if name == "first_period":
            first = quarter
        else:
            last = quarter
    if first and last and last < first:
        errors["last_period"] = _("The last quarter must not lie before the first one.")
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The round must close after it opens.")
    if min_quantity_t is None or min_quantity_t < 0:
        errors["min_quantity_t"] = _("The minimum quantity must be zero or more.")
    if errors:
        raise ValidationError(errors)
    return first.index, last.index


@transaction.atomic
def round_create(
    *,
    actor: User,
    title: str,
    materials,
    first_period,
    last_period,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    min_quantity_t: Decimal = Decimal("0"),
    description: str = "",
    terms: str | None = None,
) -> DemandRound:
    first, last = _check_round_values(
        title=title,
        materials=materials,
        first_period=first_period,
        last_period=last_period,
        opens_at=opens_at,
        closes_at=closes_at,
        min_quantity_t=min_quantity_t,
    )
    round = DemandRound(
        title=title.strip(),
        description=description,
        first_quarter=first,
        last_quarter=last,
        opens_at=opens_at,
        closes_at=closes_at,
        min_quantity_t=min_quantity_t,
        created_by=actor,
    )
    if terms is None or not terms.strip():
        with translation.override(settings.LANGUAGE_CODE):  # the platform's language: German
            terms = str(DEFAULT_TERMS)
    round.terms = terms
    round.save()
    round.materials.set(materials)
    audit_record(actor=actor, action="round.create", obj=round, after=snapshot(round, ROUND_FIELDS))
    return round


def lock_round(round: DemandRound) -> DemandRound:
    return DemandRound.objects.select_for_update().get(pk=round.pk)


@transaction.atomic
def round_update(*, round: DemandRound, actor: User, **changes) -> DemandRound:
    """Edit a draft. Keys: title, description, materials, first_period, last_period, opens_at,
    closes_at, min_quantity_t, terms."""
    locked = lock_round(round)
    if locked.state != RoundState.DRAFT:
        raise StateConflict(
            _("Only a draft can be edited; this round is %(state)s.")
            % {"state": locked.get_state_display()}
        )
    before = snapshot(locked, ROUND_FIELDS)
    values = {
        "title": locked.title,
        "materials": list(locked.materials.all()),
        "first_period": locked.first_period,
        "last_period": locked.last_period,
        "opens_at": locked.opens_at,
        "closes_at": locked.closes_at,
        "min_quantity_t": locked.min_quantity_t,
    }
    values.update({k: v for k, v in changes.items() if k in values})
    first, last = _check_round_values(**values)
    locked.title = values["title"].strip()
    locked.first_quarter, locked.last_quarter = first, last
    locked.opens_at, locked.closes_at = values["opens_at"], values["closes_at"]
    locked.min_quantity_t = values["min_quantity_t"]
    if "description" in changes:
        locked.description = changes["description"]
    if changes.get("terms"):
        locked.terms = changes["terms"]
    locked.save()
    if "materials" in changes:
        locked.materials.set(values["materials"])
    audit_record(
        actor=actor,
        action="round.update",
        obj=locked,
        before=before,
        after=snapshot(locked, ROUND_FIELDS),
    )
    return locked


def _transition(
    round: DemandRound, *, allowed_from: tuple[str, ...], to: str, message
) -> tuple[DemandRound, dict]:
    """Lock the round, check that it may leave its state, and set the new one (the caller saves)."""
    locked = lock_round(round)
    if locked.state not in allowed_from:
        raise StateConflict(message % {"state": locked.get_state_display()})
    before = {"state": locked.state, "closes_at": locked.closes_at.isoformat()}
    locked.state = to
    return locked, before


@transaction.atomic
def round_open(*, round: DemandRound, actor: User) -> DemandRound:
    """draft -> open. Member users are told by e-mail once ``opens_at`` has come (the worker sends
    it; ``send_deadline_reminders`` also sends notices of rounds that were opened ahead of time)."""
    locked, before = _transition(
        round,
        allowed_from=(RoundState.DRAFT,),
        to=RoundState.OPEN,
        message=_("Only a draft can be opened; this round is %(state)s."),
    )
    if locked.closes_at <= timezone.now():
        raise ValidationError(
            {
                "closes_at": _(
                    "The closing time has passed; set a later one before opening the round."
                )
            }
        )
    if not locked.materials.exists():
        raise ValidationError({"materials": _("Choose at least one material.")})
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor, action="round.open", obj=locked, before=before, after={"state": locked.state}
    )
    from ..tasks import send_round_opened_notice

    # Through the outbox: a broker outage must neither fail the committed opening nor lose the
    # notice (docs/operations.md).
    enqueue_on_commit(send_round_opened_notice, round_id=locked.pk)
    return locked


@transaction.atomic
def round_close(*, round: DemandRound, actor) -> DemandRound:
    """open -> closed, then ``industry.signals.round_closed`` inside the transaction (the positions
    app starts its aggregation on commit). ``actor`` is None when the beat task closes a due round."""
    locked, before = _transition(
        round,
        allowed_from=(RoundState.OPEN,),
        to=RoundState.CLOSED,
        message=_("Only an open round can be closed; this round is %(state)s."),
    )
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor or "system (deadline)",
        action="round.close",
        obj=locked,
        before=before,
        after={"state": locked.state},
    )
    signals.round_closed.send(sender=DemandRound, round=locked, actor=actor)
    return locked


@transaction.atomic
def round_reopen(
    *, round: DemandRound, actor: User, closes_at: datetime.datetime | None = None
) -> DemandRound:
    """closed -> open, never after aggregation. A new ``closes_at`` is needed when the old one
    has passed (otherwise the deadline task would close it again at once)."""
    locked, before = _transition(
        round,
        allowed_from=(RoundState.CLOSED,),
        to=RoundState.OPEN,
        message=_(
            "Only a closed round that is not aggregated yet can be reopened; this round is %(state)s."
        ),
    )
    if closes_at is not None:
        locked.closes_at = closes_at
    if locked.closes_at <= timezone.now():
        raise ValidationError(
            {"closes_at": _("Set a new closing time in the future to reopen the round.")}
        )
    if locked.closes_at <= locked.opens_at:
        raise ValidationError({"closes_at": _("The round must close after it opens.")})
    # A reopened round earns a new reminder before its new deadline.
    locked.reminder_sent_at = None
    locked.save(update_fields=["state", "closes_at", "reminder_sent_at", "updated_at"])
    audit_record(
        actor=actor,
        action="round.reopen",
        obj=locked,
        before=before,
        after={"state": locked.state, "closes_at": locked.closes_at.isoformat()},
    )
    return locked


@transaction.atomic
def round_mark_aggregated(*, round: DemandRound, actor=None) -> DemandRound:
    """closed -> aggregated (called by the aggregation job); a no-op when already aggregated."""
    locked = lock_round(round)
    if locked.state == RoundState.AGGREGATED:
        return locked
    if locked.state != RoundState.CLOSED:
        raise StateConflict(
            _("Only a closed round can be aggregated; this round is %(state)s.")
            % {"state": locked.get_state_display()}
        )
    locked.state = RoundState.AGGREGATED
    locked.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor or "system (aggregation)",
        action="round.aggregated",
        obj=locked,
        before={"state": RoundState.CLOSED},
        after={"state": locked.state},
    )
    return locked


@transaction.atomic
def terms_accept(*, round: DemandRound, actor: User) -> TermsAcceptance:
    """The actor's firm accepts the round's participation terms (once; a second call returns the
    first acceptance)."""
    if not policy.may_enter_demand(actor):
        raise StateConflict(_("Only member firms accept participation terms."))
    locked = lock_round(round)
    if locked.state != RoundState.OPEN:
        raise StateConflict(_("This round is not open for demand."))
    existing = TermsAcceptance.objects.filter(
        round=locked, organisation_id=actor.organisation_id
    ).first()
    if existing:
        return existing
    acceptance = TermsAcceptance.objects.create(
        round=locked, organisation_id=actor.organisation_id, accepted_by=actor, terms=locked.terms
    )
    audit_record(
        actor=actor,
        action="round.terms_accept",
        obj=locked,
        after={"organisation": actor.organisation_id},
    )
    return acceptance


def has_accepted_terms(*, round: DemandRound, organisation_id: int) -> bool:
    return TermsAcceptance.objects.filter(round=round, organisation_id=organisation_id).exists()
