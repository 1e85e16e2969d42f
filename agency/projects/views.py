"""Pages of agency projects: the list, one project with its capacities, ESG/HSE screen, stakes and
offtake contracts, and the agency's forms for the record and the screen. Thin: parse, call a
selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rohstoff.core.access import allow
from rohstoff.core.forms import add_service_errors

from .. import policy, selectors
from ..monitoring import selectors as monitoring_selectors
from ..policy import PROJECT_READERS, PROJECT_WRITERS
from . import services
from .forms import CapacityFormSet, EsgScreenForm, ProjectForm, capacity_initial
from .models import ProjectStage


@allow(PROJECT_READERS)
@require_GET
def project_list(request):
    search = request.GET.get("q", "").strip()[:200]
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


@allow(PROJECT_READERS)
@require_GET
def project_detail(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    contracts = project.contracts.select_related("counterparty", "material").order_by("reference")
    stakes = list(selectors.project_stakes(user=request.user, project=project))
    reports = {}
    if policy.is_agency(request.user):
        reports = monitoring_selectors.latest_reports(user=request.user, stakes=stakes)
    return render(
        request,
        "agency/project_detail.html",
        {
            "project": project,
            "contracts": contracts,
            "capacities": selectors.capacities(project),
            "screen": selectors.esg_screen(project),
            "stakes": [(stake, reports.get(stake.pk)) for stake in stakes],
        },
    )


@allow(PROJECT_WRITERS)
@require_http_methods(["GET", "POST"])
def project_edit(request, pk=None):
    project = selectors.project_get(user=request.user, pk=pk) if pk else None
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, instance=project)
    formset = CapacityFormSet(data, initial=capacity_initial(project), prefix="capacity")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                project = services.project_save(
                    actor=request.user,
                    project=project,
                    capacities=formset.capacities(),
                    **form.cleaned_data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Project %(name)s saved.") % {"name": project.name})
            return redirect("agency:project", project.pk)
    return render(
        request,
        "agency/project_form.html",
        {"form": form, "formset": formset, "project": project},
    )


@allow(PROJECT_WRITERS)
@require_http_methods(["GET", "POST"])
def project_esg(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    screen = selectors.esg_screen(project)
    form = EsgScreenForm(request.POST or None, screen=screen)
    if request.method == "POST" and form.is_valid():
        try:
            services.esg_screen_save(actor=request.user, project=project, checks=form.checks())
        except ValidationError as exc:
            for item, errors in exc.message_dict.items():
                field = f"{item}-note"
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("ESG/HSE screen saved."))
            return redirect("agency:project", project.pk)
    return render(request, "agency/project_esg.html", {"form": form, "project": project})
