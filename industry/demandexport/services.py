"""The demand export: inline below ``EXPORT_INLINE_MAX_LINES`` lines, a background job above.

The rules are in docs/operations.md ("Large exports"). In short: the request that asks for a
large export starts (or finds) a job for the same round, format, language and reader scope (the
desk's whole round, or one member firm's lines); the job writes the very file the inline export
streams into private storage, never served statically; the page polls the job and, when it is
done, links the download. Files expire after ``EXPORT_FILE_TTL_HOURS``.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rohstoff.core.jobs import job_running, job_start
from rohstoff.core.models import Job, JobState, User

from .. import exports, policy
from ..models import DemandLine, DemandRound
from . import copy_csv, copy_xlsx

log = logging.getLogger(__name__)

KIND_PREFIX = "demand_export"
FORMATS = ("csv", "xlsx")
STORAGE_DIR = "private/exports/demand"
WRITING = gettext_noop("Writing the file")  # a job phase, translated where it is shown
ORDER = ("organisation__name", "material__sort_order", "first_quarter", "is_year", "pk")


@dataclass(frozen=True)
class ExportSpec:
    """What an export job writes: the round, the format, the reader's language and the scope
    (``desk`` for the whole round, ``o<pk>`` for one member firm's lines)."""

    round_id: int
    fmt: str
    language: str
    scope: str

    @property
    def kind(self) -> str:
        # One active job per round and kind (rohstoff.core.jobs): the kind carries the rest.
        return f"{KIND_PREFIX}:{self.fmt}:{self.language}:{self.scope}"

    @property
    def desk(self) -> bool:
        return self.scope == "desk"

    @classmethod
    def from_job(cls, job: Job) -> ExportSpec | None:
        parts = job.kind.split(":")
        if (
            len(parts) != 4
            or parts[0] != KIND_PREFIX
            or parts[1] not in FORMATS
            or job.subject_type != DemandRound._meta.label_lower
            or not job.subject_id.isdigit()
        ):
            return None
        return cls(round_id=int(job.subject_id), fmt=parts[1], language=parts[2], scope=parts[3])


def scope_of(user: User) -> str | None:
    """The lines ``user`` exports: the desk the whole round, a member its firm's; else None."""
    if policy.may_screen_lines(user):
        return "desk"
    if policy.may_enter_demand(user) and user.organisation_id:
        return f"o{user.organisation_id}"
    return None


def export_lines(user: User, round: DemandRound) -> QuerySet[DemandLine]:
    """The lines of the export in file order: the desk every line (withdrawn ones too), a member
    its own firm's active lines."""
    desk = policy.may_screen_lines(user)
    return policy.lines_visible_to(user, round=round, include_withdrawn=desk).order_by(*ORDER)


def export_content(user: User, round: DemandRound, fmt: str):
    """(header, rows) of the export, rows read through a cursor (bounded memory)."""
    desk = policy.may_screen_lines(user)
    header = exports.export_header(with_firm=desk)
    return header, exports.iter_export_rows(export_lines(user, round), with_firm=desk)


def write_export(out: BinaryIO, *, user: User, round: DemandRound, fmt: str) -> int:
    """Write ``user``'s export of ``round`` (:func:`export_lines`) as ``fmt`` in the active
    language into the binary file ``out``; returns the lines written. The one home of the file,
    for the inline export and the job alike: on PostgreSQL the database writes the rows
    (``copy_csv``, ``copy_xlsx``: a member's 1,000 lines in a third of the time Python takes);
    elsewhere (SQLite, the first-run demo, which has no ``COPY``) the Python writers, which give
    the same file (tests/industry/test_export_jobs.py compares them)."""
    scope = scope_of(user)  # the one answer to "whose lines", as for the job
    if scope is None:
        raise Http404
    if connection.vendor == "postgresql":
        organisation_id = None if scope == "desk" else user.organisation_id
        if fmt == "xlsx":
            return copy_xlsx.write(
                out, round_id=round.pk, organisation_id=organisation_id, title=_("Demand")
            )
        return copy_csv.write(out, round_id=round.pk, organisation_id=organisation_id)[0]
    header, rows = export_content(user, round, fmt)
    counted = _Counted(rows)
    if fmt == "xlsx":
        exports.xlsx_write(out, [(_("Demand"), header, counted)])
    else:
        for chunk in exports.csv_chunks(header, counted):
            out.write(chunk)
    return counted.count


def export_written(*, user: User, round: DemandRound, fmt: str):
    """(file, lines): :func:`write_export` into a temporary file on disk (bounded memory), open at
    its start; the caller closes it (a response, or the job once the file is stored)."""
    written = tempfile.TemporaryFile()  # noqa: SIM115 - returned open
    try:
        lines = write_export(written, user=user, round=round, fmt=fmt)
    except BaseException:
        written.close()
        raise
    written.seek(0)
    return written, lines


class _Counted:
    """The rows of an iterable, counted as they pass."""

    def __init__(self, rows):
        self._rows, self.count = rows, 0

    def __iter__(self):
        for row in self._rows:
            self.count += 1
            yield row


def is_large(user: User, round: DemandRound) -> bool:
    """True when the export has more lines than a request may write (``EXPORT_INLINE_MAX_LINES``)."""
    return export_lines(user, round).count() > settings.EXPORT_INLINE_MAX_LINES


def file_name(round: DemandRound, fmt: str, when: datetime.datetime | None = None) -> str:
    stamp = timezone.localtime(when).strftime("%Y%m%d-%H%M")
    return f"demand-round-{round.pk}-{stamp}.{fmt}"


def export_job_start(
    *, user: User, round: DemandRound, fmt: str, language: str
) -> tuple[Job, bool]:
    """Start the export job, or return the one already running for the same round, format,
    language and scope. (job, created)."""
    scope = scope_of(user)
    if scope is None or fmt not in FORMATS:
        raise ValueError("no export for this user or format")
    spec = ExportSpec(round_id=round.pk, fmt=fmt, language=language, scope=scope)
    return job_start(
        kind=spec.kind, subject=round, created_by=user, task="industry.tasks.run_demand_export"
    )


def export_job_get(*, user: User, round: DemandRound, pk) -> Job | None:
    """The export job ``pk`` of ``round`` if ``user`` may download it (the same scope as the
    user's own export); None otherwise (the view answers 404)."""
    scope = scope_of(user)
    job = Job.objects.filter(
        pk=pk,
        kind__startswith=f"{KIND_PREFIX}:",
        subject_type=DemandRound._meta.label_lower,
        subject_id=str(round.pk),
    ).first()
    spec = ExportSpec.from_job(job) if job else None
    if spec is None or scope is None or spec.scope != scope:
        return None
    return job


def export_file(job: Job):
    """The finished job's file, open for reading, or None (not finished, or expired)."""
    path = job.result.get("path") if job.state == JobState.SUCCEEDED else None
    if not path or is_expired(job) or not default_storage.exists(path):
        return None
    return default_storage.open(path, "rb")


def expires_at(job: Job) -> datetime.datetime | None:
    if job.finished_at is None:
        return None
    return job.finished_at + datetime.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS)


def is_expired(job: Job) -> bool:
    limit = expires_at(job)
    return bool(job.result.get("expired")) or (limit is not None and timezone.now() >= limit)


def run_export_job(job_id: str) -> None:
    """The task's body: write the export of the job's round into private storage. Does nothing
    for a job that is not ours to run (finished, or running elsewhere): safe to run twice."""
    with job_running(job_id) as reporter:
        if reporter is None:
            return
        job = reporter.job
        spec = ExportSpec.from_job(job)
        user = job.created_by
        if spec is None or user is None or not user.is_active or scope_of(user) != spec.scope:
            raise ValueError(_("The person who asked for this export may no longer export it."))
        round = DemandRound.objects.get(pk=spec.round_id)
        with translation.override(spec.language):
            # The same file as the inline export (write_export). No progress while the database
            # writes the rows (its connection is busy); the heartbeat shows the job is alive.
            reporter.progress(0.0, WRITING)
            written, total = export_written(user=user, round=round, fmt=spec.fmt)
            name = file_name(round, spec.fmt)
            with written:
                path = default_storage.save(f"{STORAGE_DIR}/{job.pk}/{name}", File(written, name))
        job.result = {
            "path": path,
            "filename": name,
            "lines": total,
            "bytes": default_storage.size(path),
        }


def export_purge_expired() -> int:
    """Delete the files of export jobs past their expiry (beat, hourly) and mark the jobs
    expired. A job that failed saved no file (the file is stored only once it is complete).
    Returns how many files were deleted. Safe to run twice."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS)
    deleted = 0
    jobs = Job.objects.filter(
        kind__startswith=f"{KIND_PREFIX}:", finished_at__lt=cutoff, result__has_key="path"
    ).exclude(result__has_key="expired")
    for job in jobs:
        path = job.result.get("path")
        if path and default_storage.exists(path):
            default_storage.delete(path)
            deleted += 1
        job.result = {**job.result, "expired": True}
        job.save(update_fields=["result"])
    return deleted
