"""The page of a large demand export (its job's state, then the download link) and the download.

Who may see and download an export job: who may start it, the desk for the whole round, a member
for its own firm's lines; anyone else gets 404 (docs/operations.md, "Large exports")."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rohstoff.core.access import DESK, MEMBERS, allow

from .. import exports
from ..rounds.selectors import round_get
from . import services


def _job_or_404(request, pk, job_pk):
    round = round_get(user=request.user, pk=pk)
    job = services.export_job_get(user=request.user, round=round, pk=job_pk)
    if job is None:
        raise Http404
    return round, job


@allow(MEMBERS | DESK)
@require_GET
def export_job(request, pk, job_pk):
    """The job's state; polled (htmx) while it runs."""
    round, job = _job_or_404(request, pk, job_pk)
    spec = services.ExportSpec.from_job(job)
    context = {
        "round": round,
        "job": job,
        "fmt": spec.fmt,
        "expired": job.state == "succeeded" and services.is_expired(job),
        "expires_at": services.expires_at(job),
    }
    template = "industry/_export_job.html" if request.htmx else "industry/export_job.html"
    return render(request, template, context)


@allow(MEMBERS | DESK)
@require_GET
def export_job_download(request, pk, job_pk):
    _round, job = _job_or_404(request, pk, job_pk)
    file = services.export_file(job)
    if file is None:
        raise Http404
    spec = services.ExportSpec.from_job(job)
    content_type = exports.XLSX_TYPE if spec.fmt == "xlsx" else exports.CSV_TYPE
    return exports.file_download(file, job.result["filename"], content_type)
