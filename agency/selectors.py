"""Reads of agency projects, scoped by agency.policy (who sees which project, which of its stakes).
The stakes, portfolio and monitoring sub-packages keep their own selectors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from rohstoff.core.shortcuts import get_visible_or_404

from . import policy
from .models import EsgCheck, EsgItem, EsgStatus, Project, ProjectMaterial, StakeProposal
from .policy import projects_visible_to

__all__ = [
    "capacities",
    "esg_screen",
    "project_get",
    "project_list",
    "project_stakes",
    "projects_visible_to",
]


def project_get(*, user, pk) -> Project:
    return get_visible_or_404(projects_visible_to(user), pk=pk)


def project_list(
    *, user, search: str = "", stage: str = "", country: str = ""
) -> QuerySet[Project]:
    qs = projects_visible_to(user)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(operator__icontains=search))
    if stage:
        qs = qs.filter(stage=stage)
    if country:
        qs = qs.filter(country=country.upper())
    return qs.order_by("name")


def capacities(project: Project) -> list[ProjectMaterial]:
    return list(project.material_capacities.select_related("material"))


@dataclass(frozen=True)
class ScreenRow:
    item: str
    label: str
    check: EsgCheck | None

    @property
    def status(self) -> str:
        return self.check.status if self.check else EsgStatus.NOT_ASSESSED

    @property
    def status_label(self) -> str:
        return EsgStatus(self.status).label


def esg_screen(project: Project) -> list[ScreenRow]:
    """Every item of the screen in its fixed order, assessed or not."""
    checks = {c.item: c for c in project.esg_checks.select_related("assessed_by")}
    return [ScreenRow(item, label, checks.get(item)) for item, label in EsgItem.choices]


def project_stakes(*, user, project: Project) -> QuerySet[StakeProposal]:
    """The project's proposals as the reader may see them: the agency every proposal, the desk
    only approved stakes with an offtake right (their offtake right, nothing else)."""
    if policy.is_agency(user):
        qs = policy.proposals_visible_to(user)
    else:
        qs = policy.offtake_rights_visible_to(user)
    return (
        qs.filter(project=project)
        .select_related("offtake_material", "offtake_contract")
        .order_by("-created_at", "-pk")
    )
