"""A demand export of more than EXPORT_INLINE_MAX_LINES lines is written by a background job into
private storage; the page shows the job and then the download (docs/operations.md)."""

import csv
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook

from industry.demandexport import services
from industry.models import DemandLine
from rohstoff.core.models import Job, JobState


@pytest.fixture
def lines(open_round, member_a, member_b, enter):
    for i, period in enumerate(["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]):
        enter(open_round, member_a, period=period, quantity=f"{i + 1}.5")
    enter(open_round, member_a, grade="=1+1", quantity="7")
    enter(open_round, member_b, material="cobalt-sulphate", quantity="3")
    enter(open_round, member_a, grade='A, "fein"; 99 %', quantity="0.25")
    first = DemandLine.objects.filter(organisation=member_a.organisation).order_by("pk").first()
    # Cells the CSV must quote: separators, quotes, a line break; a formula start.
    DemandLine.objects.filter(pk=first.pk).update(
        excluded=True, exclusion_reason='-Doppelt; "siehe"\nZeile 2, Ende'
    )
    # What XML and COPY's text format treat specially: ampersand, brackets, quotes, a backslash,
    # a tab, CR LF and a lone CR, a character XML does not allow, a leading tab (formula guard).
    second = DemandLine.objects.filter(organisation=member_a.organisation).order_by("pk")[1]
    DemandLine.objects.filter(pk=second.pk).update(
        excluded=True, exclusion_reason='\tA & B <c> "d" \\e\tf\r\ng\rh\x01i'
    )
    last = DemandLine.objects.filter(organisation=member_a.organisation).order_by("-pk").first()
    DemandLine.objects.filter(pk=last.pk).update(withdrawn_at=timezone.now())
    return DemandLine.objects.filter(round=open_round).count()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _start(client, round, fmt, language="en", capture=None):
    with capture(execute=True):
        response = client.get(
            f"/rounds/{round.pk}/demand/export.{fmt}", HTTP_ACCEPT_LANGUAGE=language
        )
    assert response.status_code == 302, response
    job = Job.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert response.url == f"/rounds/{round.pk}/demand/exports/{job.pk}/"
    return job


def _file(client, round, job):
    response = client.get(f"/rounds/{round.pk}/demand/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("who", ["desk", "member_a"])
def test_below_the_threshold_inline_above_a_job_with_the_same_file(
    request,
    login,
    open_round,
    lines,
    media,
    settings,
    who,
    language,
    django_capture_on_commit_callbacks,
):
    client = login(request.getfixturevalue(who))
    settings.EXPORT_INLINE_MAX_LINES = lines  # the desk's export has exactly this many
    inline = {}
    for fmt in ("csv", "xlsx"):
        response = client.get(
            f"/rounds/{open_round.pk}/demand/export.{fmt}", HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        inline[fmt] = response.getvalue()
    settings.EXPORT_INLINE_MAX_LINES = 1
    job = _start(client, open_round, "csv", language, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["path"].startswith("private/exports/demand/")
    text = io.StringIO(inline["csv"].decode("utf-8-sig"), newline="")
    rows = list(csv.reader(text, delimiter=";" if language == "de" else ","))
    assert job.result["lines"] == len(rows) - 1
    assert _file(client, open_round, job) == inline["csv"]
    job = _start(client, open_round, "xlsx", language, django_capture_on_commit_callbacks)
    got = load_workbook(io.BytesIO(_file(client, open_round, job))).worksheets[0]
    want = load_workbook(io.BytesIO(inline["xlsx"])).worksheets[0]
    assert list(got.iter_rows(values_only=True)) == list(want.iter_rows(values_only=True))
    assert got.title == want.title
    page = client.get(f"/rounds/{open_round.pk}/demand/exports/{job.pk}/")
    assert b'data-testid="export-download"' in page.content


def test_starting_twice_returns_the_running_job(
    login, desk, open_round, lines, media, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.get(f"/rounds/{open_round.pk}/demand/export.csv")
    with django_capture_on_commit_callbacks(execute=False):
        second = client.get(f"/rounds/{open_round.pk}/demand/export.csv")
        other_format = client.get(f"/rounds/{open_round.pk}/demand/export.xlsx")
        other_language = client.get(
            f"/rounds/{open_round.pk}/demand/export.csv", HTTP_ACCEPT_LANGUAGE="de"
        )
    assert first.url == second.url
    assert len({first.url, other_format.url, other_language.url}) == 3
    page = client.get(first.url)
    assert b'data-testid="export-running"' in page.content and b"hx-trigger" in page.content
    # Not finished: no file to download.
    job_pk = first.url.rstrip("/").split("/")[-1]
    assert client.get(f"{first.url}download/").status_code == 404
    assert Job.objects.get(pk=job_pk).state == JobState.QUEUED


def test_who_may_download(
    login,
    desk,
    member_a,
    member_b,
    make_user,
    firm_a,
    open_round,
    lines,
    media,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.EXPORT_INLINE_MAX_LINES = 1
    desk_job = _start(login(desk), open_round, "csv", capture=django_capture_on_commit_callbacks)
    firm_job = _start(
        login(member_a), open_round, "csv", capture=django_capture_on_commit_callbacks
    )
    colleague = make_user("member_admin", org=firm_a, email="admin2@firm-a.example")
    for user, job, status in [
        (desk, desk_job, 200),
        (member_a, desk_job, 404),  # the whole round is the desk's
        (member_b, desk_job, 404),
        (desk, firm_job, 404),  # the desk's own export is the whole round
        (colleague, firm_job, 200),  # the same firm
        (member_b, firm_job, 404),
    ]:
        client = login(user)
        base = f"/rounds/{open_round.pk}/demand/exports/{job.pk}/"
        assert client.get(base).status_code == status, (user, job.kind)
        assert client.get(f"{base}download/").status_code == status, (user, job.kind)
    analyst = make_user("agency_analyst", email="analyst@agency.example")
    client = login(analyst)
    assert client.get(f"/rounds/{open_round.pk}/demand/exports/{desk_job.pk}/").status_code == 403
    # Another round's URL with this job: 404.
    from industry.models import DemandRound

    other = DemandRound.objects.exclude(pk=open_round.pk).first()
    if other is not None:
        url = f"/rounds/{other.pk}/demand/exports/{desk_job.pk}/"
        assert login(desk).get(url).status_code == 404


def test_files_expire(
    login, desk, open_round, lines, media, settings, django_capture_on_commit_callbacks
):
    from industry.tasks import purge_expired_exports

    beat = settings.CELERY_BEAT_SCHEDULE["purge-expired-exports"]
    assert beat["task"] == "industry.tasks.purge_expired_exports" and beat["schedule"] <= 3600
    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)
    job = _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    path = job.result["path"]
    assert default_storage.exists(path)
    assert purge_expired_exports() == 0  # young: kept
    Job.objects.filter(pk=job.pk).update(
        finished_at=timezone.now()
        - datetime.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS, seconds=1)
    )
    base = f"/rounds/{open_round.pk}/demand/exports/{job.pk}/"
    assert client.get(f"{base}download/").status_code == 404  # expired even before the purge
    assert purge_expired_exports() == 1
    assert not default_storage.exists(path)
    assert purge_expired_exports() == 0
    page = client.get(base)
    assert b'data-testid="export-expired"' in page.content
    # Asking again starts a new job.
    assert _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks) != job


def test_a_failed_export_is_shown_and_can_be_started_again(
    login,
    desk,
    open_round,
    lines,
    media,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from industry import exports

    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)

    def broken(*args, **kwargs):
        raise OSError("disk full")
        yield  # pragma: no cover

    monkeypatch.setattr(exports, "csv_chunks", broken)
    job = _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "disk full" in job.error
    page = client.get(f"/rounds/{open_round.pk}/demand/exports/{job.pk}/")
    assert b'data-testid="export-failed"' in page.content and b"disk full" in page.content
    assert b'data-testid="export-again"' in page.content
    monkeypatch.undo()
    again = _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again != job and again.state == JobState.SUCCEEDED


def test_a_workbook_that_cannot_be_written_fails_the_job(
    login, desk, open_round, lines, media, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A workbook that cannot be written while the database's rows arrive fails the job with the
    reason, and no file is kept."""
    from industry.demandexport import copy_xlsx

    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)

    def broken(out, sheets, **kwargs):
        next(iter(sheets[0].rows.blocks))  # the first block arrives, then the disk is full
        raise OSError("disk full")

    monkeypatch.setattr(copy_xlsx.xlsx, "write", broken)
    job = _start(client, open_round, "xlsx", capture=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "disk full" in job.error
    assert not job.result.get("path")
    assert not list(media.rglob("*.xlsx"))


def test_a_dead_worker_fails_the_job(
    login, desk, open_round, lines, media, settings, django_capture_on_commit_callbacks
):
    """The project's stale-job handling: a running export whose worker stopped beating is
    failed, the page says so, and asking again starts a new one."""
    from rohstoff.core.tasks import fail_stale_jobs

    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.get(f"/rounds/{open_round.pk}/demand/export.csv")
    job_pk = response.url.rstrip("/").split("/")[-1]
    old = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    Job.objects.filter(pk=job_pk).update(state=JobState.RUNNING, started_at=old, heartbeat_at=old)
    fail_stale_jobs()
    page = client.get(response.url)
    assert b'data-testid="export-failed"' in page.content
    assert (
        _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks).pk != job_pk
    )


def test_the_task_is_idempotent(
    login, desk, open_round, lines, media, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_LINES = 1
    job = _start(login(desk), open_round, "csv", capture=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    services.run_export_job(str(job.pk))  # a redelivery: the finished job is left alone
    again = Job.objects.get(pk=job.pk)
    assert again.result == job.result and again.finished_at == job.finished_at


def test_job_page_queries(
    login,
    desk,
    open_round,
    lines,
    media,
    settings,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    settings.EXPORT_INLINE_MAX_LINES = 1
    client = login(desk)
    job = _start(client, open_round, "csv", capture=django_capture_on_commit_callbacks)
    url = f"/rounds/{open_round.pk}/demand/exports/{job.pk}/"
    client.get(url)
    with django_assert_num_queries(JOB_PAGE_QUERIES):
        assert client.get(url).status_code == 200


# session, user, second factor, the round, the job
JOB_PAGE_QUERIES = 5


def _python_files(user, round, language):
    """The export as the Python writers write it (the first-run demo's path on SQLite)."""
    from django.utils import translation

    from industry import exports

    with translation.override(language):
        header, rows = services.export_content(user, round, "csv")
        csv_file = b"".join(exports.csv_chunks(header, rows))
        header, rows = services.export_content(user, round, "xlsx")
        book = exports.write_xlsx([(translation.gettext("Demand"), header, rows)])
    return csv_file, book


def _database_files(user, round, language):
    """The export as PostgreSQL writes it (services.write_export: copy_csv, copy_xlsx)."""
    from django.utils import translation

    files = []
    with translation.override(language):
        for fmt in ("csv", "xlsx"):
            out = io.BytesIO()
            services.write_export(out, user=user, round=round, fmt=fmt)
            files.append(out.getvalue())
    return files


def _cells(book: bytes):
    sheet = load_workbook(io.BytesIO(book)).worksheets[0]
    return sheet.title, list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("who", ["desk", "member_a"])
def test_the_database_writes_what_the_python_writers_write(
    request, open_round, lines, who, language
):
    """Formula starts, quotes, separators, line breaks, tabs, backslashes, XML's specials and a
    character XML does not allow: the same bytes of CSV, the same cells of the workbook."""
    user = request.getfixturevalue(who)
    # Texts whose only care is their formula start (each alone sends its row the careful way).
    plain = DemandLine.objects.filter(round=open_round, excluded=False, withdrawn_at=None)
    for pk, grade in zip(plain.values_list("pk", flat=True), ["-fein", "+1", "@a"], strict=False):
        DemandLine.objects.filter(pk=pk).update(grade=grade)
    python_csv, python_book = _python_files(user, open_round, language)
    database_csv, database_book = _database_files(user, open_round, language)
    assert database_csv == python_csv
    assert _cells(database_book) == _cells(python_book)
    assert len(_cells(python_book)[1]) == (lines if who == "desk" else lines - 2) + 1


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "UTC"]
)
def test_local_times_with_their_offset_in_summer_and_winter(
    desk, open_round, lines, settings, zone
):
    """The database formats each line's time in our time zone with that day's offset, as Python's
    isoformat does (half and three-quarter hours, west and east of Greenwich)."""
    settings.TIME_ZONE = zone
    summer = datetime.datetime(2027, 7, 1, 23, 30, tzinfo=datetime.UTC)
    winter = datetime.datetime(2027, 1, 15, 2, 5, 9, tzinfo=datetime.UTC)
    pks = list(DemandLine.objects.filter(round=open_round).values_list("pk", flat=True))
    DemandLine.objects.filter(pk__in=pks[::2]).update(updated_at=summer)
    DemandLine.objects.filter(pk__in=pks[1::2]).update(updated_at=winter)
    python_csv, python_book = _python_files(desk, open_round, "en")
    database_csv, database_book = _database_files(desk, open_round, "en")
    assert database_csv == python_csv
    assert _cells(database_book) == _cells(python_book)
    text = database_csv.decode("utf-8-sig")
    for moment in (summer, winter):
        assert timezone.localtime(moment).isoformat(timespec="seconds") in text
    # The session's time zone is ours again afterwards.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW TIME ZONE")
        assert cursor.fetchone()[0] == "UTC"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_file_for_a_reader_without_a_scope(open_round, lines, member_a, fmt):
    """A member account without a firm (or any role without demand exports) exports nothing, and
    never the whole round: the database's export would read a missing firm as "every firm"."""
    from django.http import Http404

    from rohstoff.core.models import Role, User

    for user in (User(role=member_a.role), User(role=Role.MINISTRY_VIEWER)):
        out = io.BytesIO()
        with pytest.raises(Http404):
            services.write_export(out, user=user, round=open_round, fmt=fmt)
        assert out.getvalue() == b""
