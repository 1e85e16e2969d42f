"""The periodic audit-log integrity check, run by a real Celery worker over Redis: it walks the
hash chain and reports the first tampered, deleted or missing event."""

import pytest
from django.db import connection

from rohstoff.core.audit import audit_record
from rohstoff.core.models import Job, JobState
from rohstoff.core.tasks import AUDIT_CHECK, audit_integrity_check
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

TRIGGER = "core_auditevent_append_only"


def tamper(sql, params=()):
    """What an intruder with database access could do: switch the append-only trigger off for one
    statement (and on again, whatever happens)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE core_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute(f"ALTER TABLE core_auditevent ENABLE TRIGGER {TRIGGER}")


def run_check_on_the_worker() -> Job:
    """The beat task's entry point starts a job; the worker runs it. Returns the finished job."""
    job_id = (
        audit_integrity_check.apply().get()
    )  # what beat sends: starts the job, enqueues the run
    job = wait_for(
        lambda: Job.objects.filter(
            pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]
        ).first()
    )
    assert job.state == JobState.SUCCEEDED, job.error
    return job


@pytest.fixture
def chain(transactional_db, make_user):
    staff = make_user("", staff=True, email="ops@platform.example")
    return [
        audit_record(
            actor=staff, action="test.step", object_type="test.thing", object_id=i, after={"n": i}
        )
        for i in range(1, 7)
    ]


def test_the_worker_finds_a_tampered_row(celery_worker_redis, chain):
    first = run_check_on_the_worker()
    assert first.result["ok"] and first.result["checked"] == 6
    tamper("UPDATE core_auditevent SET after = %s WHERE seq = 3", ['{"n": 300}'])
    second = run_check_on_the_worker()
    assert not second.result["ok"]
    assert (second.result["problem_code"], second.result["problem_seq"]) == ("altered", 3)
    assert Job.objects.filter(kind=AUDIT_CHECK).count() == 2


def test_the_worker_finds_a_deleted_row(celery_worker_redis, chain):
    tamper("DELETE FROM core_auditevent WHERE seq = 4")
    job = run_check_on_the_worker()
    assert not job.result["ok"]
    assert (job.result["problem_code"], job.result["problem_seq"]) == ("missing", 4)
    assert job.result["problem"] == "Event #4 is missing (next present: #5)."


def test_the_worker_finds_a_removed_tail(celery_worker_redis, chain):
    assert run_check_on_the_worker().result["head_seq"] == 6
    tamper("DELETE FROM core_auditevent WHERE seq > 4")
    job = run_check_on_the_worker()
    assert not job.result["ok"]
    assert (
        job.result["problem_code"],
        job.result["problem_seq"],
        job.result["problem_last_seq"],
    ) == ("tail_removed", 5, 6)
