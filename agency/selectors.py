"""Reads of agency projects. The agency and the trading desk read projects (the desk links its
offtakes to them); nobody else sees them."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Project


def projects_visible_to(user) -> QuerySet[Project]:
    if not (user and user.is_authenticated and (user.is_agency or user.is_desk)):
        return Project.objects.none()
    return Project.objects.prefetch_related("materials").annotate(
        contract_count=Count("contracts", distinct=True)
    )


def project_get(*, user, pk) -> Project:
    try:
        return projects_visible_to(user).get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


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
