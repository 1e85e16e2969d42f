"""Writes of agency projects (for now: the demo and the admin create them)."""

from django.db import transaction

from rohstoff.core.audit import audit_record, snapshot

from .models import Project

FIELDS = ["name", "operator", "country", "stage", "description"]


@transaction.atomic
def project_save(
    *,
    actor,
    name: str,
    operator: str,
    country: str,
    stage: str,
    materials,
    description: str = "",
    project: Project | None = None,
) -> Project:
    before = snapshot(project, FIELDS + ["materials"]) if project else None
    project = project or Project()
    project.name, project.operator, project.country, project.stage, project.description = (
        name,
        operator,
        country,
        stage,
        description,
    )
    project.full_clean()
    project.save()
    project.materials.set(materials)
    audit_record(
        actor=actor,
        action="project.update" if before else "project.create",
        obj=project,
        before=before,
        after=snapshot(project, FIELDS + ["materials"]),
    )
    return project
