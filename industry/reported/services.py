"""Every write of reported contracts: keyword-only, atomic, audit-logged (docs/reported-contracts.md).

Input is bounded before any work: at most ``MAX_QUARTERS`` quarters, each at most
``MAX_QUARTER_TONNES`` tonnes, short texts. A refused report changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries

from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict
from rohstoff.core.formatting import format_tonnes
from rohstoff.core.models import Material, User
from rohstoff.core.periods import PeriodError, Quarter
from rohstoff.core.units import Unit, to_tonnes

from .. import policy
from ..lines import rules
from ..models import ReportedContract, ReportedQuarter
from ..signals import reported_contracts_changed

MAX_QUARTERS = 12
MAX_QUARTER_TONNES = Decimal("10000000")
SUPPLIER_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ReportValues:
    material: Material
    origin_country: str
    supplier_name: str
    note: str
    unit: str
    volumes: list[tuple[int, Decimal, Decimal]]  # (quarter index, quantity, tonnes)


def check_report(
    *,
    material: Material | None,
    origin_country: str,
    unit: str,
    volumes: list[tuple[str, Decimal | None]],
    supplier_name: str = "",
    note: str = "",
) -> ReportValues:
    """The rules of one report; raises ValidationError with one message per field. ``volumes``
    are (quarter as written, quantity in ``unit``) pairs; rows with neither are ignored."""
    errors: dict[str, str] = {}
    if material is None:
        errors["material"] = _("This field is required.")
    country = (origin_country or "").strip().upper()
    if country not in dict(countries):
        errors["origin_country"] = _("Choose the country the material comes from.")
    if unit not in Unit.values:
        errors["unit"] = rules.UNIT_KNOWN.error(value=unit or "")
    supplier_name = (supplier_name or "").strip()
    if len(supplier_name) > SUPPLIER_MAX_LENGTH:
        errors["supplier_name"] = _("At most %(n)s characters.") % {"n": SUPPLIER_MAX_LENGTH}
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("At most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}
    rows = [(str(q or "").strip(), qty) for q, qty in volumes if str(q or "").strip() or qty]
    checked: list[tuple[int, Decimal, Decimal]] = []
    problems: list[str] = []
    if not rows:
        problems.append(_("Enter the volume of at least one quarter."))
    elif len(rows) > MAX_QUARTERS:
        problems.append(
            _("At most %(n)s quarters per contract; report a longer contract in parts.")
            % {"n": MAX_QUARTERS}
        )
    else:
        seen = set()
        for text, quantity in rows:
            try:
                quarter = Quarter.parse(text)
            except PeriodError:
                problems.append(
                    _("“%(value)s”: write a quarter such as 2027-Q1.") % {"value": text}
                )
                continue
            if quarter.index in seen:
                problems.append(_("%(q)s appears twice; one volume per quarter.") % {"q": quarter})
                continue
            seen.add(quarter.index)
            if quantity is None or quantity <= 0:
                problems.append(_("%(q)s: enter a volume greater than zero.") % {"q": quarter})
                continue
            if rules.too_precise(quantity):
                problems.append(
                    _("%(q)s: at most 6 decimal places and 14 digits before the decimal mark.")
                    % {"q": quarter}
                )
                continue
            if "unit" in errors:
                continue
            tonnes = to_tonnes(quantity, unit)
            if tonnes <= 0 or tonnes > MAX_QUARTER_TONNES:
                problems.append(
                    _("%(q)s: between 0 and %(max)s per quarter.")
                    % {"q": quarter, "max": format_tonnes(MAX_QUARTER_TONNES)}
                )
                continue
            checked.append((quarter.index, quantity, tonnes))
    if problems:
        errors["volumes"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    return ReportValues(
        material=material,
        origin_country=country,
        supplier_name=supplier_name,
        note=note,
        unit=unit,
        volumes=sorted(checked),
    )


def _state(contract: ReportedContract) -> dict:
    return {
        "material": contract.material.code,
        "origin_country": str(contract.origin_country),
        "supplier_name": contract.supplier_name,
        "unit": contract.unit,
        "note": contract.note,
        "quarters": {
            str(Quarter.from_index(q.quarter)): str(q.quantity_t) for q in contract.quarters.all()
        },
    }


def _check_actor(actor: User) -> None:
    if not policy.may_report_contracts(actor):
        raise StateConflict(_("Only member firms report their own contracts."))


def _counterparty_id(name: str) -> int | None:
    """The desk's counterparty of that name (any case), if any: so that the desk's figures by
    supplier can count the firm's own contract with it. The member never sees the link."""
    if not name:
        return None
    from django.apps import apps

    counterparty = apps.get_model("contracts", "Counterparty")
    return counterparty.objects.filter(name__iexact=name).values_list("pk", flat=True).first()


def _write(contract: ReportedContract, values: ReportValues) -> None:
    contract.counterparty_id = _counterparty_id(values.supplier_name)
    contract.material = values.material
    contract.origin_country = values.origin_country
    contract.supplier_name = values.supplier_name
    contract.note = values.note
    contract.unit = values.unit
    contract.save()
    contract.quarters.all().delete()
    ReportedQuarter.objects.bulk_create(
        ReportedQuarter(contract=contract, quarter=q, quantity=qty, quantity_t=t)
        for q, qty, t in values.volumes
    )


@transaction.atomic
def reported_contract_create(*, actor: User, **values) -> ReportedContract:
    """A member reports a contract its firm concluded outside the platform."""
    _check_actor(actor)
    checked = check_report(**values)
    contract = ReportedContract(organisation_id=actor.organisation_id, reported_by=actor)
    _write(contract, checked)
    audit_record(
        actor=actor, action="reported_contract.create", obj=contract, after=_state(contract)
    )
    reported_contracts_changed.send(
        sender=ReportedContract, material_ids=[contract.material_id], actor=actor
    )
    return contract


@transaction.atomic
def reported_contract_update(
    *, contract: ReportedContract, actor: User, **values
) -> ReportedContract:
    """Change a reported contract of the actor's firm (its quarters are replaced as a whole)."""
    _check_actor(actor)
    if contract.organisation_id != actor.organisation_id:
        raise StateConflict(_("Only the contract's firm changes it."))
    checked = check_report(**values)
    locked = ReportedContract.objects.select_for_update().get(pk=contract.pk)
    before = _state(locked)
    old_material = locked.material_id
    locked.reported_by = actor
    _write(locked, checked)
    audit_record(
        actor=actor,
        action="reported_contract.update",
        obj=locked,
        before=before,
        after=_state(locked),
    )
    reported_contracts_changed.send(
        sender=ReportedContract, material_ids=[old_material, locked.material_id], actor=actor
    )
    return locked


@transaction.atomic
def reported_contract_delete(*, contract: ReportedContract, actor: User) -> None:
    _check_actor(actor)
    if contract.organisation_id != actor.organisation_id:
        raise StateConflict(_("Only the contract's firm deletes it."))
    locked = ReportedContract.objects.select_for_update().get(pk=contract.pk)
    before = _state(locked)
    material_id, pk = locked.material_id, locked.pk
    locked.delete()
    audit_record(
        actor=actor,
        action="reported_contract.delete",
        object_type=ReportedContract._meta.label_lower,
        object_id=pk,
        before=before,
    )
    reported_contracts_changed.send(
        sender=ReportedContract, material_ids=[material_id], actor=actor
    )
