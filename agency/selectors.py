"""Reads of agency projects, scoped by agency.policy (who sees which project)."""

from django.db.models import Q, QuerySet

from rohstoff.core.shortcuts import get_visible_or_404

from .models import Project
from .policy import projects_visible_to

__all__ = ["project_get", "project_list", "projects_visible_to"]


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
