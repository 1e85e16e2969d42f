"""Who may see and do what with agency projects: the one place in the agency app that reads a
user's role. Selectors, views and the API ask this module; templates ask ``can.agency.<flag>``
(:func:`capabilities`, registered in ``AgencyConfig.ready()``).

The rules (docs/roles-and-visibility.md): the agency reads projects, and so does the trading desk,
which links its offtake contracts to them; nobody else sees them (staff write them in the admin).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from rohstoff.core.models import Role

from .models import Project

PROJECT_READER_ROLES = frozenset({Role.AGENCY_ANALYST, Role.AGENCY_APPROVER, Role.TRADING_DESK})


def reads_projects(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in PROJECT_READER_ROLES
    )


def capabilities(user) -> dict[str, bool]:
    """``can.agency.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {"read_projects": reads_projects(user)}


def projects_visible_to(user) -> QuerySet[Project]:
    if not reads_projects(user):
        return Project.objects.none()
    return Project.objects.prefetch_related("materials").annotate(
        contract_count=Count("contracts", distinct=True)
    )
