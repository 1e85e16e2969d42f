"""Every write of demand rounds and demand lines: keyword-only, atomic, audit-logged.

Locking: a service that changes lines first locks the round row (``_lock_round``); closing a
round locks the same row, so a line save and the close of its round are serialised and a save
that arrives after ``closes_at`` (or after the close) is refused with StateConflict.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Material, User
from rohstoff.core.periods import Period, PeriodError, Quarter
from rohstoff.core.units import Unit, to_tonnes

from . import signals
from .demand_file import (
    GRADE_MAX_LENGTH,
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    ParsedFile,
    read_demand_file,
)
from .models import (
    DEFAULT_TERMS,
    Commitment,
    DemandLine,
    DemandLineHistory,
    DemandRound,
    DemandUpload,
    LineChange,
    RoundState,
    TermsAcceptance,
    UploadState,
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


# ---- rounds ----------------------------------------------------------------------------------


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


def _locked(round: DemandRound) -> DemandRound:
    return DemandRound.objects.select_for_update().get(pk=round.pk)


@transaction.atomic
def round_update(*, round: DemandRound, actor: User, **changes) -> DemandRound:
    """Edit a draft. Keys: title, description, materials, first_period, last_period, opens_at,
    closes_at, min_quantity_t, terms."""
    locked = _locked(round)
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
    locked = _locked(round)
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
    from .tasks import send_round_opened_notice

    round_id = locked.pk
    transaction.on_commit(lambda: send_round_opened_notice.delay(round_id))
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
    locked = _locked(round)
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
    if not actor.is_member:
        raise StateConflict(_("Only member firms accept participation terms."))
    locked = _locked(round)
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


# ---- demand lines ----------------------------------------------------------------------------


def _lock_round_for_entry(round: DemandRound, actor: User) -> DemandRound:
    """Lock the round and check that the actor's firm may enter demand now."""
    if not actor.is_member or not actor.organisation_id:
        raise StateConflict(_("Only member firms enter demand."))
    locked = _locked(round)
    if locked.state != RoundState.OPEN:
        raise StateConflict(
            _("This round is %(state)s: demand can no longer be entered or changed.")
            % {"state": locked.get_state_display()}
        )
    now = timezone.now()
    if now >= locked.closes_at:
        raise StateConflict(
            _("The round closed at %(time)s: demand can no longer be entered or changed.")
            % {"time": date_format(timezone.localtime(locked.closes_at), "SHORT_DATETIME_FORMAT")}
        )
    if now < locked.opens_at:
        raise StateConflict(
            _("The round opens at %(time)s.")
            % {"time": date_format(timezone.localtime(locked.opens_at), "SHORT_DATETIME_FORMAT")}
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
    delivery_country: str = "DE",
) -> LineValues:
    """The domain rules of one line (the file parser applies the same rules, vectorised)."""
    errors: dict[str, str] = {}
    if material is None:
        errors["material"] = _("Choose a material.")
    elif not round.materials.filter(pk=material.pk).exists():
        errors["material"] = _("%(name)s is not one of this round's materials.") % {
            "name": material.name
        }
    parsed = None
    try:
        parsed = Period.parse(period or "")
    except PeriodError:
        errors["period"] = _("Write a year (2027) or a quarter (2027-Q3).")
    if parsed is not None and not round.covers(parsed):
        window = {"first": str(round.first_period), "last": str(round.last_period)}
        partly = (
            parsed.is_year
            and parsed.last.index >= round.first_quarter
            and parsed.first.index <= round.last_quarter
        )
        errors["period"] = (
            _(
                "The year %(value)s lies only partly inside the round's window (%(first)s to %(last)s); enter quarters instead."
            )
            if partly
            else _("%(value)s is outside the round's window (%(first)s to %(last)s).")
        ) % {"value": str(parsed), **window}
    if unit not in Unit.values:
        errors["unit"] = _("Choose t, kg or lb.")
    tonnes = None
    if quantity is None:
        errors["quantity"] = _("Enter a quantity.")
    elif quantity <= 0:
        errors["quantity"] = _("The quantity must be greater than zero.")
    elif quantity.adjusted() >= MAX_INTEGER_DIGITS or quantity != quantity.quantize(
        Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
    ):  # trailing zeros are no decimal places (40.0000000 is 40), as in a demand file
        errors["quantity"] = _(
            "Use at most 6 decimal places and 14 digits before the decimal point."
        )
    elif "unit" not in errors:
        tonnes = to_tonnes(quantity, unit)
        if tonnes < round.min_quantity_t:
            errors["quantity"] = _("This is below the round's minimum of %(min)s t per line.") % {
                "min": format(round.min_quantity_t.normalize(), "f")
            }
    if commitment not in Commitment.values:
        errors["commitment"] = _("Choose indicative or firm.")
    grade = (grade or "").strip()
    if len(grade) > GRADE_MAX_LENGTH:
        errors["grade"] = _("The grade may have at most 200 characters.")
    delivery_country = (delivery_country or "DE").strip().upper()
    if delivery_country not in dict(countries):
        errors["delivery_country"] = _("Choose a country (ISO 3166 code such as DE).")
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


def _history(line: DemandLine, *, change: str, actor, now) -> DemandLineHistory:
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
    locked = _lock_round_for_entry(round, actor)
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
    _history(line, change=LineChange.REPLACED, actor=actor, now=now).save()
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
    locked_round = _lock_round_for_entry(line.round, actor)
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
    _history(locked, change=LineChange.UPDATED, actor=actor, now=now).save()
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
    _lock_round_for_entry(line.round, actor)
    locked = _lock_line(line, expected_version)
    now = timezone.now()
    _history(locked, change=LineChange.WITHDRAWN, actor=actor, now=now).save()
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
    if not actor.is_desk:
        raise StateConflict(_("Only the trading desk screens lines."))
    locked = _locked(round)
    if locked.state not in (RoundState.OPEN, RoundState.CLOSED):
        raise StateConflict(
            _("Lines can be screened while the round is open or closed, not when it is %(state)s.")
            % {"state": locked.get_state_display()}
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
    now = timezone.now()
    _history(locked, change=LineChange.EXCLUDED, actor=actor, now=now).save()
    locked.excluded, locked.exclusion_reason, locked.excluded_by, locked.excluded_at = (
        True,
        reason,
        actor,
        now,
    )
    locked.version = F("version") + 1
    locked.save(
        update_fields=["excluded", "exclusion_reason", "excluded_by", "excluded_at", "version"]
    )
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="demand_line.exclude",
        obj=locked,
        organisation=locked.organisation_id,
        before={"excluded": False},
        after={"excluded": True, "reason": reason},
    )
    return locked


@transaction.atomic
def line_restore(*, line: DemandLine, actor: User) -> DemandLine:
    _lock_round_for_screening(line.round, actor)
    locked = DemandLine.objects.select_for_update().get(pk=line.pk)
    if not locked.excluded:
        raise StateConflict(_("This line is not excluded."))
    now = timezone.now()
    _history(locked, change=LineChange.RESTORED, actor=actor, now=now).save()
    reason = locked.exclusion_reason
    locked.excluded, locked.exclusion_reason, locked.excluded_by, locked.excluded_at = (
        False,
        "",
        None,
        None,
    )
    locked.version = F("version") + 1
    locked.save(
        update_fields=["excluded", "exclusion_reason", "excluded_by", "excluded_at", "version"]
    )
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="demand_line.restore",
        obj=locked,
        organisation=locked.organisation_id,
        before={"excluded": True, "reason": reason},
        after={"excluded": False},
    )
    return locked


# ---- upload ----------------------------------------------------------------------------------


@dataclass
class UploadResult:
    created: int = 0
    replaced: int = 0
    errors: list | None = None


def upload_prepare(
    *, round: DemandRound, actor: User, data: bytes, filename: str, prefer_comma: bool = True
) -> DemandUpload:
    """Validate a file and keep it for the preview (nothing is written to the lines). A refused
    file keeps only its errors; an accepted one keeps its content until it is committed. Raises
    StateConflict, and keeps nothing, when the round does not take the firm's demand now."""
    with transaction.atomic():
        _lock_round_for_entry(round, actor)
    parsed = read_demand_file(data, round=round, prefer_comma=prefer_comma)
    return DemandUpload.objects.create(
        round=round,
        organisation_id=actor.organisation_id,
        uploaded_by=actor,
        filename=(filename or "upload")[:255],
        content=data if parsed.ok else b"",
        state=UploadState.PREVIEW if parsed.ok else UploadState.REJECTED,
        row_count=parsed.row_count,
        errors=parsed.errors,
    )


@transaction.atomic
def upload_commit(*, upload: DemandUpload, actor: User, prefer_comma: bool = True) -> UploadResult:
    """Commit a previewed upload, validated again (the round may have changed meanwhile). The
    upload's row is locked, so that a double click commits it once."""
    upload = DemandUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.state != UploadState.PREVIEW:
        raise StateConflict(_("This upload was committed already or was rejected."))
    result = demand_import(
        round=upload.round,
        actor=actor,
        data=bytes(upload.content),
        filename=upload.filename,
        prefer_comma=prefer_comma,
    )
    if result.errors:
        upload.state, upload.errors, upload.content = UploadState.REJECTED, result.errors, b""
    else:
        upload.state, upload.committed_at, upload.content = (
            UploadState.COMMITTED,
            timezone.now(),
            b"",
        )
        upload.created_count, upload.replaced_count = result.created, result.replaced
    upload.save()
    return result


def upload_purge_stale(*, older_than: datetime.timedelta = datetime.timedelta(days=2)) -> int:
    """Delete uploaded files that were previewed but never committed (nor refused)."""
    deleted, _ = DemandUpload.objects.filter(
        state=UploadState.PREVIEW, created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


def demand_import(
    *, round: DemandRound, actor: User, data: bytes, filename: str = "", prefer_comma: bool = True
) -> UploadResult:
    """Parse, validate and commit a demand file all-or-nothing: either every row is written or,
    with any error, nothing (the errors come back). Raises StateConflict when the round does not
    accept demand now."""
    # Refuse early (before reading a large file) when the round cannot take demand anyway.
    with transaction.atomic():
        _lock_round_for_entry(round, actor)
    parsed = read_demand_file(data, round=round, prefer_comma=prefer_comma)
    if not parsed.ok:
        return UploadResult(errors=parsed.errors)
    with transaction.atomic():
        locked = _lock_round_for_entry(round, actor)
        created, replaced = _commit_rows(parsed, round=locked, actor=actor)
        audit_record(
            actor=actor,
            action="demand.upload",
            obj=locked,
            after={
                "file": filename[:200],
                "rows": parsed.row_count,
                "created": created,
                "replaced": replaced,
            },
        )
    return UploadResult(created=created, replaced=replaced)


STAGING_COLUMNS = [
    "material_id",
    "grade",
    "period",
    "first_quarter",
    "is_year",
    "quantity",
    "unit",
    "quantity_t",
    "commitment",
    "delivery_country",
]


def _commit_rows(parsed: ParsedFile, *, round: DemandRound, actor: User) -> tuple[int, int]:
    if connection.vendor == "postgresql":
        return _commit_rows_postgresql(parsed, round=round, actor=actor)
    return _commit_rows_bulk(parsed, round=round, actor=actor)


def staging_csv(parsed: ParsedFile, *, before: tuple = (), after: tuple = ()) -> str:
    """The clean rows as CSV for COPY, each row framed by the constant columns ``before`` and
    ``after``. Lines end in CRLF so that the csv module quotes a grade holding a CR as well as one
    holding an LF (a multi-line Excel cell stays one field)."""
    buffer = io.StringIO()
    columns = (parsed.rows[name].tolist() for name in STAGING_COLUMNS)
    csv.writer(buffer, lineterminator="\r\n").writerows(
        (*before, *row, *after) for row in zip(*columns, strict=True)
    )
    return buffer.getvalue()


def _commit_rows_postgresql(
    parsed: ParsedFile, *, round: DemandRound, actor: User
) -> tuple[int, int]:
    """COPY into a temporary staging table, then set-based SQL: history rows for the lines that
    will be replaced, one UPDATE for those, one INSERT for the new keys."""
    line_table = DemandLine._meta.db_table
    history_table = DemandLineHistory._meta.db_table
    now = timezone.now()
    params = {"round": round.pk, "org": actor.organisation_id, "actor": actor.pk, "now": now}
    key_join = (
        "l.round_id = %(round)s AND l.organisation_id = %(org)s AND l.material_id = s.material_id "
        "AND l.grade = s.grade AND l.period = s.period AND l.delivery_country = s.delivery_country"
    )
    if not DemandLine.objects.filter(round=round, organisation_id=actor.organisation_id).exists():
        return _copy_new_lines(parsed, round=round, actor=actor, now=now), 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE demand_staging (material_id bigint NOT NULL, grade varchar(200) NOT NULL, "
            "period varchar(7) NOT NULL, first_quarter integer NOT NULL, is_year boolean NOT NULL, "
            "quantity numeric(20, 6) NOT NULL, unit varchar(2) NOT NULL, quantity_t numeric(20, 6) NOT NULL, "
            "commitment varchar(10) NOT NULL, delivery_country varchar(2) NOT NULL) ON COMMIT DROP"
        )
        with cursor.copy(
            f"COPY demand_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (grade))"
        ) as copy:
            copy.write(staging_csv(parsed))
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE l.withdrawn_at IS NULL) FROM {line_table} l "  # noqa: S608
            f"JOIN demand_staging s ON {key_join}",
            params,
        )
        matched, active = cursor.fetchone()
        if matched:
            cursor.execute(
                f"INSERT INTO {history_table} (line_id, change, changed_by_id, changed_at, version, quantity, unit, "  # noqa: S608
                "quantity_t, commitment, withdrawn, excluded, material_id, grade, period, delivery_country, exclusion_reason) "
                "SELECT l.id, 'replaced', %(actor)s, %(now)s, l.version, l.quantity, l.unit, l.quantity_t, l.commitment, "
                "l.withdrawn_at IS NOT NULL, l.excluded, l.material_id, l.grade, l.period, l.delivery_country, l.exclusion_reason "
                f"FROM {line_table} l JOIN demand_staging s ON {key_join}",
                params,
            )
            cursor.execute(
                f"UPDATE {line_table} l SET quantity = s.quantity, unit = s.unit, quantity_t = s.quantity_t, "  # noqa: S608
                "commitment = s.commitment, first_quarter = s.first_quarter, is_year = s.is_year, "
                "entered_by_id = %(actor)s, updated_at = %(now)s, version = l.version + 1, withdrawn_at = NULL "
                f"FROM demand_staging s WHERE {key_join}",
                params,
            )
        # Only keys that are not there yet (when none matched, every row is new).
        exists = f"SELECT 1 FROM {line_table} l WHERE {key_join}"  # noqa: S608 - names from _meta
        only_new = f"WHERE NOT EXISTS ({exists})" if matched else ""
        cursor.execute(
            f"INSERT INTO {line_table} (round_id, organisation_id, material_id, grade, period, first_quarter, is_year, "  # noqa: S608
            "quantity, unit, quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, version, "
            "excluded, exclusion_reason) "
            "SELECT %(round)s, %(org)s, s.material_id, s.grade, s.period, s.first_quarter, s.is_year, s.quantity, s.unit, "
            "s.quantity_t, s.commitment, s.delivery_country, %(actor)s, %(now)s, %(now)s, 1, false, '' "
            f"FROM demand_staging s {only_new}",
            params,
        )
        inserted = cursor.rowcount
        # Dropped now, not only at commit: inside an outer transaction a second import would
        # otherwise find the table still there.
        cursor.execute("DROP TABLE demand_staging")
    return inserted + (matched - active), active


def _copy_new_lines(parsed: ParsedFile, *, round: DemandRound, actor: User, now) -> int:
    """The firm's first lines in the round: nothing to replace, so COPY straight into the lines
    table (the constant columns framed around each staged row)."""
    body = staging_csv(
        parsed,
        before=(round.pk, actor.organisation_id),
        after=(actor.pk, now.isoformat(), now.isoformat(), 1, "f", ""),
    )
    columns = [
        "round_id",
        "organisation_id",
        *STAGING_COLUMNS,
        "entered_by_id",
        "created_at",
        "updated_at",
        "version",
        "excluded",
        "exclusion_reason",
    ]
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {DemandLine._meta.db_table} ({', '.join(columns)}) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (grade, exclusion_reason))"
        ) as copy,
    ):
        copy.write(body)
    return len(parsed.rows)


def _commit_rows_bulk(parsed: ParsedFile, *, round: DemandRound, actor: User) -> tuple[int, int]:
    """The same writes without COPY (SQLite): one query for the existing keys, then bulk writes."""
    now = timezone.now()
    existing = {
        (line.material_id, line.grade, line.period, str(line.delivery_country)): line
        for line in DemandLine.objects.filter(round=round, organisation_id=actor.organisation_id)
    }
    new_lines, changed, history = [], [], []
    created = replaced = 0
    for row in parsed.rows[STAGING_COLUMNS].itertuples(index=False):
        key = (int(row.material_id), row.grade, row.period, row.delivery_country)
        line = existing.get(key)
        if line is None:
            new_lines.append(
                DemandLine(
                    round=round,
                    organisation_id=actor.organisation_id,
                    material_id=key[0],
                    grade=row.grade,
                    period=row.period,
                    first_quarter=int(row.first_quarter),
                    is_year=bool(row.is_year),
                    quantity=row.quantity,
                    unit=row.unit,
                    quantity_t=row.quantity_t,
                    commitment=row.commitment,
                    delivery_country=row.delivery_country,
                    entered_by=actor,
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
            continue
        history.append(_history(line, change=LineChange.REPLACED, actor=actor, now=now))
        if line.withdrawn_at is None:
            replaced += 1
        else:
            created += 1
        line.quantity, line.unit, line.quantity_t, line.commitment = (
            row.quantity,
            row.unit,
            row.quantity_t,
            row.commitment,
        )
        line.first_quarter, line.is_year = int(row.first_quarter), bool(row.is_year)
        line.entered_by, line.updated_at, line.version, line.withdrawn_at = (
            actor,
            now,
            line.version + 1,
            None,
        )
        changed.append(line)
    DemandLineHistory.objects.bulk_create(history, batch_size=2000)
    DemandLine.objects.bulk_update(
        changed,
        [
            "quantity",
            "unit",
            "quantity_t",
            "commitment",
            "first_quarter",
            "is_year",
            "entered_by",
            "updated_at",
            "version",
            "withdrawn_at",
        ],
        batch_size=2000,
    )
    DemandLine.objects.bulk_create(new_lines, batch_size=2000)
    return created, replaced
