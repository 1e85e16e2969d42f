"""Every write of demand rounds and demand lines: keyword-only, atomic, audit-logged.

Locking: a service that changes lines first locks the round row (``lock_round``); closing a
round locks the same row, so a line save and the close of its round are serialised and a save
that arrives after ``closes_at`` (or after the close) is refused with StateConflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.formatting import format_datetime, format_tonnes
from rohstoff.core.models import Material, User
from rohstoff.core.periods import Period, PeriodError
from rohstoff.core.units import to_tonnes

from .. import policy
from ..models import (
    Commitment,
    DemandLine,
    DemandLineHistory,
    DemandRound,
    LineChange,
    RoundState,
)
from ..rounds.services import has_accepted_terms, lock_round
from . import rules
from .rules import DEFAULT_COUNTRY

LINE_FIELDS = [
    "material",
    "grade",
    "period",
    "quantity",
    "unit",
    "quantity_t",
    "commitment",
    "delivery_country",
    "version",
    "withdrawn_at",
    "excluded",
    "exclusion_reason",
]


def lock_round_for_entry(round: DemandRound, actor: User) -> DemandRound:
    """Lock the round and check that the actor's firm may enter demand now."""
    if not policy.may_enter_demand(actor):
        raise StateConflict(_("Only member firms enter demand."))
    locked = lock_round(round)
    if locked.state != RoundState.OPEN:
        raise StateConflict(
            _("This round is %(state)s: demand can no longer be entered or changed.")
            % {"state": locked.get_state_display()}
        )
    now = timezone.now()
    if now >= locked.closes_at:
        raise StateConflict(
            _("The round closed at %(time)s: demand can no longer be entered or changed.")
            % {"time": format_datetime(locked.closes_at)}
        )
    if now < locked.opens_at:
        raise StateConflict(
            _("The round opens at %(time)s.") % {"time": format_datetime(locked.opens_at)}
        )
    if not has_accepted_terms(round=locked, organisation_id=actor.organisation_id):
        raise StateConflict(
            _("Accept the round's participation terms before you enter your first line.")
        )
    return locked


@dataclass(frozen=True)
class LineValues:
    material: Material
    period: str
    first_quarter: int
    is_year: bool
    quantity: Decimal
    unit: str
    quantity_t: Decimal
    commitment: str
    grade: str
    delivery_country: str


def check_line_values(
    *,
    round: DemandRound,
    material: Material | None,
    period: str,
    quantity: Decimal | None,
    unit: str,
    commitment: str = Commitment.INDICATIVE,
    grade: str = "",
    delivery_country: str = DEFAULT_COUNTRY,
) -> LineValues:
    """The rules of one line (``industry.lines.rules``; the demand file applies the same rules to
    whole columns). Raises ValidationError with one message per field."""
    errors: dict[str, str] = {}
    if material is None:
        errors["material"] = _("This field is required.")
    else:
        scope = list(round.materials.values_list("code", flat=True))
        if material.code not in scope:
            errors["material"] = rules.MATERIAL_IN_ROUND.error(
                value=material.code, scope=rules.material_scope(scope)
            )
    parsed = None
    try:
        parsed = Period.parse(period or "")
    except PeriodError:
        errors["period"] = rules.PERIOD_FORMAT.error(value=period or "")
    if parsed is not None and not round.covers(parsed):
        window = {"first": str(round.first_period), "last": str(round.last_period)}
        partly = (
            parsed.is_year
            and parsed.last.index >= round.first_quarter
            and parsed.first.index <= round.last_quarter
        )
        rule = rules.PERIOD_YEAR_PARTLY_INSIDE if partly else rules.PERIOD_INSIDE_WINDOW
        errors["period"] = rule.error(value=str(parsed), **window)
    typed_unit = unit or ""
    unit = rules.unit_of(typed_unit)
    if unit is None:
        errors["unit"] = rules.UNIT_KNOWN.error(value=typed_unit)
    tonnes = None
    if quantity is None:
        errors["quantity"] = _("This field is required.")
    elif quantity <= 0:
        errors["quantity"] = rules.QUANTITY_POSITIVE.error(value=rules.number(quantity))
    elif rules.too_precise(quantity):
        errors["quantity"] = rules.QUANTITY_PRECISION.error(value=rules.number(quantity))
    elif "unit" not in errors:
        tonnes = to_tonnes(quantity, unit)
        if tonnes < round.min_quantity_t:
            errors["quantity"] = rules.QUANTITY_MINIMUM.error(
                value=rules.number(quantity), unit=unit, min=format_tonnes(round.min_quantity_t)
            )
    typed_commitment = commitment
    commitment = rules.commitment_of(commitment or "")
    if commitment is None:
        errors["commitment"] = rules.COMMITMENT_KNOWN.error(value=typed_commitment)
    grade = (grade or "").strip()
    if len(grade) > rules.GRADE_MAX_LENGTH:
        errors["grade"] = rules.GRADE_LENGTH.error()
    typed_country = delivery_country
    delivery_country = rules.country_of(delivery_country)
    if delivery_country not in rules.country_codes():
        errors["delivery_country"] = rules.DELIVERY_COUNTRY_KNOWN.error(value=typed_country)
    if errors:
        raise ValidationError(errors)
    return LineValues(
        material=material,
        period=str(parsed),
        first_quarter=parsed.first.index,
        is_year=parsed.is_year,
        quantity=quantity,
        unit=unit,
        quantity_t=tonnes,
        commitment=commitment,
        grade=grade,
        delivery_country=delivery_country,
    )


def _line_state(line: DemandLine) -> dict:
    state = snapshot(line, [f for f in LINE_FIELDS if f != "delivery_country"])
    state["delivery_country"] = str(line.delivery_country)
    return state


def history_entry(line: DemandLine, *, change: str, actor, now) -> DemandLineHistory:
    return DemandLineHistory(
        line=line,
        change=change,
        changed_by=actor,
        changed_at=now,
        version=line.version,
        quantity=line.quantity,
        unit=line.unit,
        quantity_t=line.quantity_t,
        commitment=line.commitment,
        withdrawn=line.withdrawn_at is not None,
        excluded=line.excluded,
        material_id=line.material_id,
        grade=line.grade,
        period=line.period,
        delivery_country=str(line.delivery_country),
        exclusion_reason=line.exclusion_reason,
    )


def _apply(line: DemandLine, values: LineValues, *, actor, now) -> None:
    line.material = values.material
    line.period, line.first_quarter, line.is_year = (
        values.period,
        values.first_quarter,
        values.is_year,
    )
    line.quantity, line.unit, line.quantity_t = values.quantity, values.unit, values.quantity_t
    line.commitment, line.grade, line.delivery_country = (
        values.commitment,
        values.grade,
        values.delivery_country,
    )
    line.entered_by, line.updated_at = actor, now


class LineOutcome:
    CREATED = "created"
    REPLACED = "replaced"


def _editor_name(line: DemandLine) -> str:
    return line.entered_by.get_full_name() if line.entered_by_id else _("someone")


@transaction.atomic
def line_enter(*, round: DemandRound, actor: User, **values) -> tuple[DemandLine, str]:
    """Add a line, or replace the firm's line with the same key (material, grade, period,
    delivery country). Returns the line and ``created`` or ``replaced``."""
    locked = lock_round_for_entry(round, actor)
    checked = check_line_values(round=locked, **values)
    now = timezone.now()
    line = (
        DemandLine.objects.select_for_update()
        .filter(
            round=locked,
            organisation_id=actor.organisation_id,
            material=checked.material,
            grade=checked.grade,
            period=checked.period,
            delivery_country=checked.delivery_country,
        )
        .first()
    )
    if line is None:
        line = DemandLine(round=locked, organisation_id=actor.organisation_id, created_at=now)
        _apply(line, checked, actor=actor, now=now)
        line.save()
        outcome = LineOutcome.CREATED
        audit_record(actor=actor, action="demand_line.create", obj=line, after=_line_state(line))
        return line, outcome
    before = _line_state(line)
    outcome = LineOutcome.CREATED if line.withdrawn_at else LineOutcome.REPLACED
    history_entry(line, change=LineChange.REPLACED, actor=actor, now=now).save()
    _apply(line, checked, actor=actor, now=now)
    line.withdrawn_at = None
    line.version = F("version") + 1
    line.save()
    line.refresh_from_db()
    audit_record(
        actor=actor,
        action=f"demand_line.{'replace' if outcome == LineOutcome.REPLACED else 'create'}",
        obj=line,
        before=before,
        after=_line_state(line),
    )
    return line, outcome


def _lock_line(line: DemandLine, expected_version: int | None) -> DemandLine:
    locked = DemandLine.objects.select_for_update().select_related("entered_by").get(pk=line.pk)
    if locked.withdrawn_at is not None:
        raise StateConflict(
            _("%(name)s withdrew this line meanwhile.") % {"name": _editor_name(locked)}
        )
    if expected_version is not None and locked.version != expected_version:
        raise StateConflict(
            _(
                "%(name)s changed this line meanwhile (at %(time)s). Check the current values and save again."
            )
            % {
                "name": _editor_name(locked),
                "time": timezone.localtime(locked.updated_at).strftime("%H:%M:%S"),
            }
        )
    return locked


@transaction.atomic
def line_update(
    *, line: DemandLine, actor: User, expected_version: int | None = None, **values
) -> DemandLine:
    """Change a line. ``expected_version`` is the version the editor started from: when a colleague
    saved in between, the change is refused with "changed by X meanwhile" (StateConflict)."""
    if line.organisation_id != actor.organisation_id:
        raise StateConflict(_("Only the line's firm changes it."))
    locked_round = lock_round_for_entry(line.round, actor)
    locked = _lock_line(line, expected_version)
    checked = check_line_values(round=locked_round, **values)
    clash = (
        DemandLine.objects.filter(
            round=locked_round,
            organisation_id=locked.organisation_id,
            material=checked.material,
            grade=checked.grade,
            period=checked.period,
            delivery_country=checked.delivery_country,
        )
        .exclude(pk=locked.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "period": _(
                    "Your firm already has a line for this material, grade, period and delivery country%(withdrawn)s. "
                    "Change that line instead."
                )
                % {"withdrawn": _(" (withdrawn)") if clash.withdrawn_at else ""}
            }
        )
    now = timezone.now()
    before = _line_state(locked)
    history_entry(locked, change=LineChange.UPDATED, actor=actor, now=now).save()
    _apply(locked, checked, actor=actor, now=now)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="demand_line.update",
        obj=locked,
        before=before,
        after=_line_state(locked),
    )
    return locked


@transaction.atomic
def line_withdraw(
    *, line: DemandLine, actor: User, expected_version: int | None = None
) -> DemandLine:
    if line.organisation_id != actor.organisation_id:
        raise StateConflict(_("Only the line's firm withdraws it."))
    lock_round_for_entry(line.round, actor)
    locked = _lock_line(line, expected_version)
    now = timezone.now()
    history_entry(locked, change=LineChange.WITHDRAWN, actor=actor, now=now).save()
    locked.withdrawn_at, locked.updated_at, locked.entered_by = now, now, actor
    locked.version = F("version") + 1
    locked.save(update_fields=["withdrawn_at", "updated_at", "entered_by", "version"])
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="demand_line.withdraw",
        obj=locked,
        after={"withdrawn_at": now.isoformat()},
    )
    return locked


def _lock_round_for_screening(round: DemandRound, actor: User) -> DemandRound:
    if not policy.may_screen_lines(actor):
        raise StateConflict(_("Only the trading desk screens lines."))
    locked = lock_round(round)
    if locked.state not in (RoundState.OPEN, RoundState.CLOSED):
        raise StateConflict(
            _("Lines can be screened while the round is open or closed, not when it is %(state)s.")
            % {"state": locked.get_state_display()}
        )
    return locked


def _set_exclusion(locked: DemandLine, *, actor: User, reason: str) -> DemandLine:
    """Exclude (with ``reason``) or restore (``reason`` empty) a locked line: history, the line's
    fields and version, and the audit event with the reason before and after."""
    excluded = bool(reason)
    before = {"excluded": locked.excluded, "reason": locked.exclusion_reason}
    now = timezone.now()
    change = LineChange.EXCLUDED if excluded else LineChange.RESTORED
    history_entry(locked, change=change, actor=actor, now=now).save()
    locked.excluded, locked.exclusion_reason = excluded, reason
    locked.excluded_by, locked.excluded_at = (actor, now) if excluded else (None, None)
    locked.version = F("version") + 1
    locked.save(
        update_fields=["excluded", "exclusion_reason", "excluded_by", "excluded_at", "version"]
    )
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="demand_line.exclude" if excluded else "demand_line.restore",
        obj=locked,
        organisation=locked.organisation_id,
        before=before if not excluded else {"excluded": False},
        after={"excluded": True, "reason": reason} if excluded else {"excluded": False},
    )
    return locked


@transaction.atomic
def line_exclude(*, line: DemandLine, actor: User, reason: str) -> DemandLine:
    """The desk leaves a line out of the pool; the member sees that it was excluded and why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason: the firm will see it.")})
    _lock_round_for_screening(line.round, actor)
    locked = DemandLine.objects.select_for_update().get(pk=line.pk)
    if locked.withdrawn_at is not None:
        raise StateConflict(_("The firm withdrew this line; it does not count anyway."))
    if locked.excluded:
        raise StateConflict(_("This line is excluded already."))
    return _set_exclusion(locked, actor=actor, reason=reason)


@transaction.atomic
def line_restore(*, line: DemandLine, actor: User) -> DemandLine:
    _lock_round_for_screening(line.round, actor)
    locked = DemandLine.objects.select_for_update().get(pk=line.pk)
    if not locked.excluded:
        raise StateConflict(_("This line is not excluded."))
    return _set_exclusion(locked, actor=actor, reason="")
