"""Pages of agency projects: the list and one project with the offtakes linked to it."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from rohstoff.core.access import DESK_AND_AGENCY, allow

from . import selectors
from .models import ProjectStage


@allow(DESK_AND_AGENCY)
@require_GET
def project_list(request):
    search = request.GET.get("q", "").strip()
    stage = request.GET.get("stage", "")
    projects = selectors.project_list(user=request.user, search=search, stage=stage)
    return render(
        request,
        "agency/project_list.html",
        {
            "projects": projects,
            "search": search,
            "stage": stage,
            "stages": ProjectStage.choices,
        },
    )


@allow(DESK_AND_AGENCY)
@require_GET
def project_detail(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    contracts = project.contracts.select_related("counterparty", "material").order_by("reference")
    return render(
        request, "agency/project_detail.html", {"project": project, "contracts": contracts}
    )
