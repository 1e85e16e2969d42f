"""Writes of agency projects: the record with its capacities per material, and the ESG/HSE screen
(docs/agency-projects.md). Keyword-only, atomic, audit-logged; ``ValidationError`` for bad input
(400 in the API, the message beside the field on a page)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot, to_json_value
from rohstoff.core.models import Material

from .. import policy
from .models import EsgCheck, EsgItem, EsgStatus, Project, ProjectMaterial

FIELDS = [
    "name",
    "operator",
    "country",
    "latitude",
    "longitude",
    "stage",
    "capex",
    "capex_currency",
    "crma_strategic",
    "description",
]
# A project produces a handful of materials; more rows than this is a malformed request.
MAX_CAPACITIES = 20
NOTE_MAX = 4000


def _check_actor(actor) -> None:
    if not policy.is_agency(actor):
        raise PermissionDenied


def _capacity_snapshot(project: Project) -> list[dict]:
    return [
        {
            "material": row.material.code,
            "capacity_t_per_year": to_json_value(row.capacity_t_per_year),
            "production_start_year": row.production_start_year,
        }
        for row in project.material_capacities.select_related("material").order_by("material__code")
    ]


def _snapshot(project: Project) -> dict:
    return {**snapshot(project, FIELDS), "capacities": _capacity_snapshot(project)}


def _clean_capacities(capacities: Iterable[Mapping]) -> list[dict]:
    rows = list(capacities)
    if len(rows) > MAX_CAPACITIES:
        raise ValidationError(
            {"capacities": _("At most %(n)d materials per project.") % {"n": MAX_CAPACITIES}}
        )
    seen = set()
    cleaned = []
    for row in rows:
        material = row["material"]
        if not isinstance(material, Material):
            material = Material.objects.filter(code=material).first()
            if material is None:
                raise ValidationError({"capacities": _("Unknown material %(code)s.") % row})
        if material.pk in seen:
            raise ValidationError(
                {"capacities": _("%(material)s is listed twice.") % {"material": material.name}}
            )
        seen.add(material.pk)
        capacity = row.get("capacity_t_per_year")
        if capacity is not None and Decimal(capacity) <= 0:
            raise ValidationError({"capacities": _("An annual capacity must be more than zero.")})
        cleaned.append(
            {
                "material": material,
                "capacity_t_per_year": capacity,
                "production_start_year": row.get("production_start_year"),
            }
        )
    return cleaned


@transaction.atomic
def project_save(
    *,
    actor,
    name: str,
    operator: str,
    country: str,
    stage: str,
    capacities: Iterable[Mapping] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    capex: Decimal | None = None,
    capex_currency: str = "EUR",
    crma_strategic: bool = False,
    description: str = "",
    project: Project | None = None,
) -> Project:
    """Create or change a project and replace its capacities per material (each a mapping with
    ``material`` (a Material or its code), ``capacity_t_per_year``, ``production_start_year``)."""
    _check_actor(actor)
    name, operator = name.strip(), operator.strip()
    if (latitude is None) != (longitude is None):
        raise ValidationError(
            {"longitude" if longitude is None else "latitude": _("Give both coordinates or none.")}
        )
    clash = Project.objects.filter(name__iexact=name)
    if project is not None:
        project = Project.objects.select_for_update().get(pk=project.pk)
        clash = clash.exclude(pk=project.pk)
    if clash.exists():
        raise ValidationError({"name": _("A project with this name exists already.")})
    rows = _clean_capacities(capacities)
    before = _snapshot(project) if project else None
    project = project or Project()
    values = {
        "name": name,
        "operator": operator,
        "country": country,
        "latitude": latitude,
        "longitude": longitude,
        "stage": stage,
        "capex": capex,
        "capex_currency": capex_currency,
        "crma_strategic": crma_strategic,
        "description": description,
    }
    for field, value in values.items():
        setattr(project, field, value)
    project.full_clean()
    project.save()
    keep = []
    for row in rows:
        capacity, _created = ProjectMaterial.objects.update_or_create(
            project=project,
            material=row["material"],
            defaults={
                "capacity_t_per_year": row["capacity_t_per_year"],
                "production_start_year": row["production_start_year"],
            },
        )
        capacity.full_clean()
        keep.append(capacity.pk)
    project.material_capacities.exclude(pk__in=keep).delete()
    project.refresh_from_db()
    after = _snapshot(project)
    if before != after:
        audit_record(
            actor=actor,
            action="project.update" if before else "project.create",
            obj=project,
            before=before,
            after=after,
        )
    return project


@transaction.atomic
def esg_screen_save(*, actor, project: Project, checks: Mapping[str, Mapping]) -> list[EsgCheck]:
    """Record the ESG/HSE screen: ``checks`` maps an item (``EsgItem``) to its ``status`` and
    ``note``. Only rows that change get the actor and the time as their assessment; one audit
    event holds every change."""
    _check_actor(actor)
    unknown = set(checks) - set(EsgItem.values)
    if unknown:
        raise ValidationError({"item": _("Unknown screen item %(item)s.") % {"item": min(unknown)}})
    project = Project.objects.select_for_update().get(pk=project.pk)
    existing = {c.item: c for c in project.esg_checks.all()}
    now = timezone.now()
    before, after = {}, {}
    for item, values in checks.items():
        status = values.get("status", EsgStatus.NOT_ASSESSED)
        note = (values.get("note") or "").strip()
        if status not in EsgStatus.values:
            raise ValidationError({item: _("Choose pass, concern, fail or not assessed.")})
        if len(note) > NOTE_MAX:
            raise ValidationError({item: _("A note has at most 4,000 characters.")})
        if status in (EsgStatus.CONCERN, EsgStatus.FAIL) and not note:
            raise ValidationError({item: _("Say in a note what the concern or failure is.")})
        check = existing.get(item)
        if check is not None and (check.status, check.note) == (status, note):
            continue
        if check is None and status == EsgStatus.NOT_ASSESSED and not note:
            continue
        before[item] = {"status": check.status, "note": check.note} if check else None
        check = check or EsgCheck(project=project, item=item)
        check.status, check.note, check.assessed_by, check.assessed_at = status, note, actor, now
        check.full_clean()
        check.save()
        existing[item] = check
        after[item] = {"status": status, "note": note}
    if after:
        audit_record(
            actor=actor, action="project.esg_screen", obj=project, before=before, after=after
        )
    return [existing[item] for item in EsgItem.values if item in existing]
