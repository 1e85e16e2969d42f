"""Writes of the stockpile (docs/stockpile.md): locations, targets, and the movements that are
the only way a holding changes. Purchases and rotations are booked at once; a release waits for
two approvers through the four-eyes service (docs/four-eyes.md) and is booked by the second
approval. Every write is audited.

Locking: a booking locks the holding's row (``select_for_update``) so two bookings on one
holding are serialised and a holding never goes below zero; the release services lock the
release first, then the holding, always in that order.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.models import Material

from ..four_eyes import services as four_eyes
from . import policy
from .models import (
    MAX_TARGET_DAYS,
    Holding,
    Location,
    MaterialTarget,
    Movement,
    MovementKind,
    MovementState,
)

AUDIT = "stockpile.release"
MOVEMENT_FIELDS = [
    "kind",
    "location",
    "material",
    "quantity_t",
    "replacement_t",
    "reason",
    "state",
    "revision",
]
# A bound on any one quantity: a typo of a few orders of magnitude is refused, not booked.
MAX_QUANTITY_T = Decimal("10000000")
MAX_REASON = 4000
TONNE_PLACES = Decimal("0.000001")


def _require_writer(actor) -> None:
    if not policy.writes_stockpile(actor):
        raise StateConflict(_("Only the agency changes the stockpile."))


def _quantity(value, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number of tonnes.")}) from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError({field: _("Enter a quantity greater than zero.")})
    if quantity > MAX_QUANTITY_T:
        raise ValidationError({field: _("At most 10,000,000 t in one movement.")})
    if quantity != quantity.quantize(TONNE_PLACES):
        raise ValidationError({field: _("At most 6 decimal places (1 g).")})
    return quantity


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"reason": _("Say why (e.g. the purchase order or the request).")})
    if len(text) > MAX_REASON:
        raise ValidationError({"reason": _("At most 4,000 characters.")})
    return text


def _lock_holding(location: Location, material: Material) -> Holding:
    Holding.objects.get_or_create(location=location, material=material)
    return Holding.objects.select_for_update().get(location=location, material=material)


def _book(movement: Movement, actor) -> Movement:
    """Apply ``movement`` to its holding (locked here) and mark it booked."""
    holding = _lock_holding(movement.location, movement.material)
    before = holding.quantity_t
    after = before + movement.net_change_t
    if after < 0:
        raise StateConflict(
            _("The holding at %(location)s is smaller than the release.")
            % {"location": movement.location}
        )
    holding.quantity_t = after
    holding.save(update_fields=["quantity_t", "updated_at"])
    movement.state = MovementState.BOOKED
    movement.booked_at = timezone.now()
    movement.holding_after_t = after
    movement.save()
    audit_record(
        actor=actor,
        action=f"stockpile.{movement.kind}.book",
        obj=movement,
        before={"holding_t": before},
        after={**snapshot(movement, MOVEMENT_FIELDS), "holding_t": after},
    )
    return movement


# ---- locations and targets -------------------------------------------------------------------


@transaction.atomic
def location_create(*, actor, name: str, country: str = "DE") -> Location:
    _require_writer(actor)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": _("Enter a name of at most 200 characters.")})
    if Location.objects.filter(name=name).exists():
        raise ValidationError({"name": _("A location of this name exists already.")})
    location = Location(name=name, country=country)
    location.full_clean()
    location.save()
    audit_record(
        actor=actor,
        action="stockpile.location.create",
        obj=location,
        after=snapshot(location, ["name", "country"]),
    )
    return location


@transaction.atomic
def target_set(
    *, actor, material: Material, high_risk: bool, target_days: int | None = None
) -> MaterialTarget:
    """Mark a material high-risk (or not) and give it a target of its own (None: the default
    of 60 days, 180 when high-risk)."""
    _require_writer(actor)
    if target_days is not None and not 1 <= int(target_days) <= MAX_TARGET_DAYS:
        raise ValidationError({"target_days": _("Enter between 1 and 3,650 days.")})
    target = MaterialTarget.objects.select_for_update().filter(material=material).first()
    before = snapshot(target, ["high_risk", "target_days"]) if target else None
    target = target or MaterialTarget(material=material)
    target.high_risk = bool(high_risk)
    target.target_days = int(target_days) if target_days else None
    target.save()
    audit_record(
        actor=actor,
        action="stockpile.target.set",
        obj=target,
        before=before,
        after={**snapshot(target, ["high_risk", "target_days"]), "material": material.code},
    )
    return target


# ---- purchases and rotations (booked at once) ------------------------------------------------


@transaction.atomic
def purchase_book(
    *, actor, location: Location, material: Material, quantity_t, reason: str
) -> Movement:
    _require_writer(actor)
    movement = Movement(
        kind=MovementKind.PURCHASE,
        location=location,
        material=material,
        quantity_t=_quantity(quantity_t, "quantity_t"),
        reason=_reason(reason),
        author=actor,
    )
    movement.booked_at = timezone.now()
    movement.state = MovementState.BOOKED
    movement.save()
    return _book(movement, actor)


@transaction.atomic
def rotation_book(
    *, actor, location: Location, material: Material, quantity_t, replacement_t, reason: str
) -> Movement:
    """Old stock out, fresh stock in: never less in than out (that would be a release)."""
    _require_writer(actor)
    out = _quantity(quantity_t, "quantity_t")
    replacement = _quantity(replacement_t, "replacement_t")
    if replacement < out:
        raise ValidationError(
            {
                "replacement_t": _(
                    "A rotation replaces at least what it takes out; less is a release, "
                    "which needs two approvals."
                )
            }
        )
    movement = Movement(
        kind=MovementKind.ROTATION,
        location=location,
        material=material,
        quantity_t=out,
        replacement_t=replacement,
        reason=_reason(reason),
        author=actor,
        state=MovementState.BOOKED,
        booked_at=timezone.now(),
    )
    holding = Holding.objects.filter(location=location, material=material).first()
    if holding is None or holding.quantity_t < out:
        raise StateConflict(
            _("The holding at %(location)s is smaller than the stock to rotate.")
            % {"location": location}
        )
    movement.save()
    return _book(movement, actor)


# ---- releases (four eyes) --------------------------------------------------------------------


def _lock_release(release: Movement) -> Movement:
    release = (
        Movement.objects.select_for_update(of=("self",))
        .select_related("location", "material")
        .get(pk=release.pk)
    )
    if release.kind != MovementKind.RELEASE:
        raise StateConflict(_("Only a release needs approval."))
    return release


def _require_in_review(release: Movement) -> None:
    if release.state != MovementState.IN_REVIEW:
        raise StateConflict(
            _("This release is %(state)s and cannot change.")
            % {"state": release.get_state_display()}
        )


@transaction.atomic
def release_propose(
    *, actor, location: Location, material: Material, quantity_t, reason: str
) -> Movement:
    """A release in review: nothing leaves the holding until two approvers have approved."""
    _require_writer(actor)
    quantity = _quantity(quantity_t, "quantity_t")
    holding = Holding.objects.filter(location=location, material=material).first()
    if holding is None or holding.quantity_t < quantity:
        raise ValidationError(
            {"quantity_t": _("The holding at this location is smaller than the release.")}
        )
    release = Movement.objects.create(
        kind=MovementKind.RELEASE,
        location=location,
        material=material,
        quantity_t=quantity,
        reason=_reason(reason),
        author=actor,
    )
    audit_record(
        actor=actor,
        action=f"{AUDIT}.propose",
        obj=release,
        after=snapshot(release, MOVEMENT_FIELDS),
    )
    return release


@transaction.atomic
def release_change(*, release: Movement, actor, quantity_t=None, reason: str | None = None):
    """Change a release in review: its revision rises and every approval given so far is void
    (docs/four-eyes.md, rule 3)."""
    _require_writer(actor)
    release = _lock_release(release)
    _require_in_review(release)
    before = snapshot(release, MOVEMENT_FIELDS)
    if quantity_t is not None:
        release.quantity_t = _quantity(quantity_t, "quantity_t")
    if reason is not None:
        release.reason = _reason(reason)
    after = snapshot(release, MOVEMENT_FIELDS)
    if after == before:
        return release
    release.revision += 1
    release.save()
    four_eyes.void(subject=release, actor=actor, audit_action=AUDIT)
    audit_record(
        actor=actor,
        action=f"{AUDIT}.update",
        obj=release,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={
            **{k: v for k, v in after.items() if before.get(k) != v},
            "revision": release.revision,
        },
    )
    return release


@transaction.atomic
def release_approve(*, release: Movement, actor, revision: int | None = None) -> Movement:
    """An approver's approval (two different approvers, neither the author, each with a second
    factor: the four-eyes service checks). The second approval books the release: the holding
    falls by its quantity, or the approval is refused when the holding is smaller by then.
    ``revision``: the version the approver read; refused when the release changed since."""
    release = _lock_release(release)
    _require_in_review(release)
    if revision is not None and int(revision) != release.revision:
        raise StateConflict(
            _("The release has changed since you opened it; read the new version first.")
        )
    outcome = four_eyes.approve(subject=release, actor=actor, audit_action=AUDIT)
    if outcome.complete:
        _book(release, actor)
    return release


@transaction.atomic
def release_reject(*, release: Movement, actor, reason: str) -> Movement:
    release = _lock_release(release)
    _require_in_review(release)
    four_eyes.reject(subject=release, actor=actor, reason=reason, audit_action=AUDIT)
    release.state = MovementState.REJECTED
    release.decision_reason = (reason or "").strip()[:MAX_REASON]
    release.save()
    return release


@transaction.atomic
def release_withdraw(*, release: Movement, actor, reason: str = "") -> Movement:
    """The agency withdraws a release in review (its author or a colleague)."""
    _require_writer(actor)
    release = _lock_release(release)
    _require_in_review(release)
    before = snapshot(release, ["state"])
    release.state = MovementState.WITHDRAWN
    release.decision_reason = (reason or "").strip()[:MAX_REASON]
    release.save()
    audit_record(
        actor=actor,
        action=f"{AUDIT}.withdraw",
        obj=release,
        before=before,
        after={"state": release.state, "reason": release.decision_reason},
    )
    return release
