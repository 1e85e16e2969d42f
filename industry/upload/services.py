"""Writes of demand files: the preview of an upload and the all-or-nothing commit (COPY on
PostgreSQL, bulk writes elsewhere)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import User

from ..lines.services import history_entry, lock_round_for_entry
from ..models import (
    DemandLine,
    DemandLineHistory,
    DemandRound,
    DemandUpload,
    LineChange,
    UploadState,
)
from .reading import read_demand_file
from .validation import ParsedFile, for_keeping


@dataclass
class UploadResult:
    created: int = 0
    replaced: int = 0
    errors: list | None = None


def upload_prepare(
    *, round: DemandRound, actor: User, data: bytes, filename: str, prefer_comma: bool = True
) -> DemandUpload:
    """Validate a file and keep it for the preview (nothing is written to the lines). A refused
    file keeps only its errors; an accepted one keeps its content until it is committed. Raises
    StateConflict, and keeps nothing, when the round does not take the firm's demand now."""
    with transaction.atomic():
        lock_round_for_entry(round, actor)
    parsed = read_demand_file(data, round=round, prefer_comma=prefer_comma)
    return DemandUpload.objects.create(
        round=round,
        organisation_id=actor.organisation_id,
        uploaded_by=actor,
        filename=(filename or "upload")[:255],
        content=data if parsed.ok else b"",
        state=UploadState.PREVIEW if parsed.ok else UploadState.REJECTED,
        row_count=parsed.row_count,
        errors=for_keeping(parsed.errors),
    )


@transaction.atomic
def upload_commit(*, upload: DemandUpload, actor: User, prefer_comma: bool = True) -> UploadResult:
    """Commit a previewed upload, validated again (the round may have changed meanwhile). The
    upload's row is locked, so that a double click commits it once."""
    upload = DemandUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.state != UploadState.PREVIEW:
        raise StateConflict(_("This upload was committed already or was rejected."))
    result = demand_import(
        round=upload.round,
        actor=actor,
        data=bytes(upload.content),
        filename=upload.filename,
        prefer_comma=prefer_comma,
    )
    if result.errors:
        upload.state, upload.errors, upload.content = (
            UploadState.REJECTED,
            for_keeping(result.errors),
            b"",
        )
    else:
        upload.state, upload.committed_at, upload.content = (
            UploadState.COMMITTED,
            timezone.now(),
            b"",
        )
        upload.created_count, upload.replaced_count = result.created, result.replaced
    upload.save()
    return result


def upload_purge_stale(*, older_than: datetime.timedelta = datetime.timedelta(days=2)) -> int:
    """Delete uploads that were previewed but never committed, with the file they kept, and
    refused uploads with their error report, once they are ``older_than``."""
    deleted, _ = DemandUpload.objects.filter(
        state__in=[UploadState.PREVIEW, UploadState.REJECTED],
        created_at__lt=timezone.now() - older_than,
    ).delete()
    return deleted


def demand_import(
    *, round: DemandRound, actor: User, data: bytes, filename: str = "", prefer_comma: bool = True
) -> UploadResult:
    """Parse, validate and commit a demand file all-or-nothing: either every row is written or,
    with any error, nothing (the errors come back). Raises StateConflict when the round does not
    accept demand now."""
    # Refuse early (before reading a large file) when the round cannot take demand anyway.
    with transaction.atomic():
        lock_round_for_entry(round, actor)
    parsed = read_demand_file(data, round=round, prefer_comma=prefer_comma)
    if not parsed.ok:
        return UploadResult(errors=parsed.errors)
    with transaction.atomic():
        locked = lock_round_for_entry(round, actor)
        created, replaced = _commit_rows(parsed, round=locked, actor=actor)
        audit_record(
            actor=actor,
            action="demand.upload",
            obj=locked,
            after={
                "file": filename[:200],
                "rows": parsed.row_count,
                "created": created,
                "replaced": replaced,
            },
        )
    return UploadResult(created=created, replaced=replaced)


STAGING_COLUMNS = [
    "material_id",
    "grade",
    "period",
    "first_quarter",
    "is_year",
    "quantity",
    "unit",
    "quantity_t",
    "commitment",
    "delivery_country",
]


# The columns of a new line as COPY writes them: round and firm, the staged row, then constants.
LINE_COPY_COLUMNS = [
    "round_id",
    "organisation_id",
    *STAGING_COLUMNS,
    "entered_by_id",
    "created_at",
    "updated_at",
    "version",
    "excluded",
    "exclusion_reason",
]


def _commit_rows(parsed: ParsedFile, *, round: DemandRound, actor: User) -> tuple[int, int]:
    if connection.vendor == "postgresql":
        return _commit_rows_postgresql(parsed, round=round, actor=actor)
    return _commit_rows_bulk(parsed, round=round, actor=actor)


def staging_csv(parsed: ParsedFile, *, before: tuple = (), after: tuple = ()) -> str:
    """The clean rows as CSV for COPY, each row framed by the constant columns ``before`` and
    ``after``. Lines end in CRLF so that the csv module quotes a grade holding a CR as well as one
    holding an LF (a multi-line Excel cell stays one field)."""
    buffer = io.StringIO()
    columns = (parsed.rows[name].tolist() for name in STAGING_COLUMNS)
    csv.writer(buffer, lineterminator="\r\n").writerows(
        (*before, *row, *after) for row in zip(*columns, strict=True)
    )
    return buffer.getvalue()


def _commit_rows_postgresql(
    parsed: ParsedFile, *, round: DemandRound, actor: User
) -> tuple[int, int]:
    """COPY into a temporary staging table, then set-based SQL: history rows for the lines that
    will be replaced, one UPDATE for those, one INSERT for the new keys."""
    line_table = DemandLine._meta.db_table
    history_table = DemandLineHistory._meta.db_table
    now = timezone.now()
    params = {"round": round.pk, "org": actor.organisation_id, "actor": actor.pk, "now": now}
    key_join = (
        "l.round_id = %(round)s AND l.organisation_id = %(org)s AND l.material_id = s.material_id "
        "AND l.grade = s.grade AND l.period = s.period AND l.delivery_country = s.delivery_country"
    )
    if not DemandLine.objects.filter(round=round, organisation_id=actor.organisation_id).exists():
        return _copy_new_lines(parsed, round=round, actor=actor, now=now), 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE demand_staging (material_id bigint NOT NULL, grade varchar(200) NOT NULL, "
            "period varchar(7) NOT NULL, first_quarter integer NOT NULL, is_year boolean NOT NULL, "
            "quantity numeric(20, 6) NOT NULL, unit varchar(2) NOT NULL, quantity_t numeric(20, 6) NOT NULL, "
            "commitment varchar(10) NOT NULL, delivery_country varchar(2) NOT NULL) ON COMMIT DROP"
        )
        with cursor.copy(
            f"COPY demand_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (grade))"
        ) as copy:
            copy.write(staging_csv(parsed))
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE l.withdrawn_at IS NULL) FROM {line_table} l "  # noqa: S608
            f"JOIN demand_staging s ON {key_join}",
            params,
        )
        matched, active = cursor.fetchone()
        if matched:
            cursor.execute(
                f"INSERT INTO {history_table} (line_id, change, changed_by_id, changed_at, version, quantity, unit, "  # noqa: S608
                "quantity_t, commitment, withdrawn, excluded, material_id, grade, period, delivery_country, exclusion_reason) "
                "SELECT l.id, 'replaced', %(actor)s, %(now)s, l.version, l.quantity, l.unit, l.quantity_t, l.commitment, "
                "l.withdrawn_at IS NOT NULL, l.excluded, l.material_id, l.grade, l.period, l.delivery_country, l.exclusion_reason "
                f"FROM {line_table} l JOIN demand_staging s ON {key_join}",
                params,
            )
            cursor.execute(
                f"UPDATE {line_table} l SET quantity = s.quantity, unit = s.unit, quantity_t = s.quantity_t, "  # noqa: S608
                "commitment = s.commitment, first_quarter = s.first_quarter, is_year = s.is_year, "
                "entered_by_id = %(actor)s, updated_at = %(now)s, version = l.version + 1, withdrawn_at = NULL "
                f"FROM demand_staging s WHERE {key_join}",
                params,
            )
        # Only keys that are not there yet (when none matched, every row is new).
        exists = f"SELECT 1 FROM {line_table} l WHERE {key_join}"  # noqa: S608 - names from _meta
        only_new = f"WHERE NOT EXISTS ({exists})" if matched else ""
        cursor.execute(
            f"INSERT INTO {line_table} (round_id, organisation_id, material_id, grade, period, first_quarter, is_year, "  # noqa: S608
            "quantity, unit, quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, version, "
            "excluded, exclusion_reason) "
            "SELECT %(round)s, %(org)s, s.material_id, s.grade, s.period, s.first_quarter, s.is_year, s.quantity, s.unit, "
            "s.quantity_t, s.commitment, s.delivery_country, %(actor)s, %(now)s, %(now)s, 1, false, '' "
            f"FROM demand_staging s {only_new}",
            params,
        )
        inserted = cursor.rowcount
        # Dropped now, not only at commit: inside an outer transaction a second import would
        # otherwise find the table still there.
        cursor.execute("DROP TABLE demand_staging")
    return inserted + (matched - active), active


def _copy_new_lines(parsed: ParsedFile, *, round: DemandRound, actor: User, now) -> int:
    """The firm's first lines in the round: nothing to replace, so COPY straight into the lines
    table (the constant columns framed around each staged row)."""
    body = staging_csv(
        parsed,
        before=(round.pk, actor.organisation_id),
        after=(actor.pk, now.isoformat(), now.isoformat(), 1, "f", ""),
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {DemandLine._meta.db_table} ({', '.join(LINE_COPY_COLUMNS)}) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (grade, exclusion_reason))"
        ) as copy,
    ):
        copy.write(body)
    return len(parsed.rows)


def _commit_rows_bulk(parsed: ParsedFile, *, round: DemandRound, actor: User) -> tuple[int, int]:
    """The same writes without COPY (SQLite): one query for the existing keys, then bulk writes."""
    now = timezone.now()
    existing = {
        (line.material_id, line.grade, line.period, str(line.delivery_country)): line
        for line in DemandLine.objects.filter(round=round, organisation_id=actor.organisation_id)
    }
    new_lines, changed, history = [], [], []
    created = replaced = 0
    for row in parsed.rows[STAGING_COLUMNS].itertuples(index=False):
        key = (int(row.material_id), row.grade, row.period, row.delivery_country)
        line = existing.get(key)
        if line is None:
            new_lines.append(
                DemandLine(
                    round=round,
                    organisation_id=actor.organisation_id,
                    material_id=key[0],
                    grade=row.grade,
                    period=row.period,
                    first_quarter=int(row.first_quarter),
                    is_year=bool(row.is_year),
                    quantity=row.quantity,
                    unit=row.unit,
                    quantity_t=row.quantity_t,
                    commitment=row.commitment,
                    delivery_country=row.delivery_country,
                    entered_by=actor,
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
            continue
        history.append(history_entry(line, change=LineChange.REPLACED, actor=actor, now=now))
        if line.withdrawn_at is None:
            replaced += 1
        else:
            created += 1
        line.quantity, line.unit, line.quantity_t, line.commitment = (
            row.quantity,
            row.unit,
            row.quantity_t,
            row.commitment,
        )
        line.first_quarter, line.is_year = int(row.first_quarter), bool(row.is_year)
        line.entered_by, line.updated_at, line.version, line.withdrawn_at = (
            actor,
            now,
            line.version + 1,
            None,
        )
        changed.append(line)
    DemandLineHistory.objects.bulk_create(history, batch_size=2000)
    DemandLine.objects.bulk_update(
        changed,
        [
            "quantity",
            "unit",
            "quantity_t",
            "commitment",
            "first_quarter",
            "is_year",
            "entered_by",
            "updated_at",
            "version",
            "withdrawn_at",
        ],
        batch_size=2000,
    )
    DemandLine.objects.bulk_create(new_lines, batch_size=2000)
    return created, replaced
