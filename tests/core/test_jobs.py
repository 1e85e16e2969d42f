"""Background jobs: one active job per subject, progress and a readable failure, stale jobs taken
over or failed, and the job API for whoever started it and the desk."""

import datetime
import uuid

import pytest
from django.db import IntegrityError
from django.utils import timezone, translation

from rohstoff.core.jobs import job_fail_stale, job_running, job_start
from rohstoff.core.models import Job, JobState, Organisation, OutboxMessage
from rohstoff.core.tasks import fail_stale_jobs

from .job_tasks import TASK


@pytest.fixture
def subject(firm_a):
    return firm_a


def start(subject, user=None):
    return job_start(kind="test_job", subject=subject, created_by=user, task=TASK)


def test_job_start_returns_the_active_job_instead_of_a_second_one(
    subject, member_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first, created = start(subject, member_a)
        again, created_again = start(subject, member_a)
        assert OutboxMessage.objects.filter(job=first).count() == 1  # written with the job
    assert created and not created_again and again == first
    assert len(callbacks) == 1  # the task was queued once, after commit, and ran (eager)
    first.refresh_from_db()
    assert first.state == JobState.SUCCEEDED and first.result == {"ran": True}
    other, created_other = start(Organisation.objects.create(name="Other", kind="member"))
    assert created_other and other != first


def test_job_start_with_a_callable_calls_it_after_commit(
    subject, django_capture_on_commit_callbacks
):
    enqueued = []
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_start(kind="test_job", subject=subject, enqueue=enqueued.append)
    assert enqueued == [str(job.pk)] and not OutboxMessage.objects.exists()
    with pytest.raises(TypeError):
        job_start(kind="test_job", subject=subject)


def test_a_finished_job_does_not_block_a_new_one(subject):
    first, _ = start(subject)
    with job_running(str(first.pk)) as reporter:
        reporter.progress(0.5, "half")
    second, created = start(subject)
    assert created and second != first


def test_the_database_allows_one_active_job_per_subject(subject):
    start(subject)
    with pytest.raises(IntegrityError):
        Job.objects.create(
            kind="test_job", subject_type="core.organisation", subject_id=str(subject.pk)
        )


def test_job_running_records_progress_and_success(subject):
    job, _ = start(subject)
    with job_running(str(job.pk)) as reporter:
        assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
        reporter.progress(0.25, "reading")
        seen = Job.objects.get(pk=job.pk)
        assert (seen.progress, seen.phase, seen.percent) == (0.25, "reading", 25)
        reporter.job.result = {"cells": 12}
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.progress == 1.0 and job.result == {"cells": 12}
    assert job.started_at and job.finished_at and job.error == ""


def test_a_job_given_up_while_it_ran_keeps_its_recorded_failure(subject, settings):
    """Its worker seemed dead, so the job was failed (and may have been restarted); when the
    slow worker finishes after all, it must not turn the job into a success."""
    job, _ = start(subject)
    with job_running(str(job.pk)) as reporter:
        long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
        assert job_fail_stale(Job.objects.get(pk=job.pk))
        given_up = Job.objects.get(pk=job.pk).error
        reporter.job.result = {"cells": 12}
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == given_up != ""
    assert job.result == {}


def test_job_running_records_a_readable_failure(subject):
    job, _ = start(subject)
    with job_running(str(job.pk)):
        raise ValueError("Round 17 has no lines to aggregate.")
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "Round 17 has no lines to aggregate."
    assert job.finished_at is not None


def test_a_database_error_is_reported_readably(subject):
    from django.db import DatabaseError

    job, _ = start(subject)
    with job_running(str(job.pk)):
        raise DatabaseError("deadlock detected\nDETAIL: Process 1 waits for ShareLock")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "deadlock detected" in job.error and "DETAIL" not in job.error


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(subject):
    job, _ = start(subject)
    runs = []
    with job_running(str(job.pk)) as reporter:
        runs.append(reporter)
    with job_running(str(job.pk)) as reporter:
        runs.append(reporter)
    assert runs[0] is not None and runs[1] is None


def test_a_running_job_with_a_live_worker_is_not_taken_over(subject):
    job, _ = start(subject)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=timezone.now())
    with job_running(str(job.pk)) as reporter:
        assert reporter is None


def test_a_stale_running_job_is_taken_over_by_a_redelivered_task(subject, settings):
    job, _ = start(subject)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=long_ago)
    with job_running(str(job.pk)) as reporter:
        assert reporter is not None
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_a_stale_job_is_failed_and_a_new_one_can_start(subject, settings):
    job, _ = start(subject)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=long_ago)
    replacement, created = start(subject)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert (
        timezone.localtime(long_ago).strftime("%Y-%m-%d %H:%M") in job.error
    )  # when it was last seen
    assert created and replacement != job


def test_a_running_job_with_a_live_heartbeat_is_returned_not_duplicated(subject, settings):
    job, _ = start(subject)
    almost = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS - 5)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=almost)
    assert start(subject) == (job, False)
    fail_stale_jobs()
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
    assert Job.objects.filter(kind="test_job").count() == 1


def test_a_dead_worker_is_seen_within_the_short_limit(subject, settings):
    assert settings.JOB_STALE_AFTER_SECONDS <= 60  # seconds, not the ten minutes of before
    job, _ = start(subject)
    silent = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=silent)
    with translation.override("en"):
        fail_stale_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "The worker stopped" in job.error


def test_the_lost_job_error_is_translated(subject, settings):
    job, _ = start(subject)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=long_ago)
    with translation.override("de"):
        assert job_fail_stale(Job.objects.get(pk=job.pk))
    assert "Bitte starten Sie den Vorgang erneut" in Job.objects.get(pk=job.pk).error


def test_a_heartbeat_that_arrives_meanwhile_keeps_the_job(subject, settings):
    """The stale check reads the job, the worker beats, then the check writes: no failure."""
    job, _ = start(subject)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 60)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, heartbeat_at=long_ago)
    seen = Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert not job_fail_stale(seen)
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_goes_on_while_the_task_waits_in_one_long_sql_statement(subject, settings):
    import threading

    from django.db import connection

    settings.JOB_HEARTBEAT_SECONDS = 0.2
    job, _ = start(subject)  # autocommit: dispatched and run in-process already
    job = Job.objects.create(kind="test_job_2", subject_type="x", subject_id="1")
    with job_running(str(job.pk)):
        started = Job.objects.get(pk=job.pk).heartbeat_at
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1.2)")  # no progress call can happen meanwhile
        beats = Job.objects.get(pk=job.pk).heartbeat_at
    assert (beats - started).total_seconds() >= 0.6
    assert not [t for t in threading.enumerate() if t.name == f"job-heartbeat-{job.pk}"]
    finished = Job.objects.get(pk=job.pk)
    assert finished.state == JobState.SUCCEEDED
    import time

    time.sleep(0.5)  # the heartbeat has stopped with the job
    assert Job.objects.get(pk=job.pk).heartbeat_at == finished.heartbeat_at


def test_the_beat_task_fails_stale_jobs_only(subject, settings, make_org):
    stale, _ = start(subject)
    fresh, _ = start(make_org("Fresh GmbH"))
    OutboxMessage.objects.update(sent_at=timezone.now())  # both reached the broker
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.JOB_QUEUED_STALE_AFTER_SECONDS + 60
    )
    Job.objects.filter(pk=stale.pk).update(created_at=long_ago)
    OutboxMessage.objects.filter(job=stale).update(sent_at=long_ago)
    with translation.override("en"):
        fail_stale_jobs()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == JobState.FAILED and fresh.state == JobState.QUEUED
    assert "No worker took up the job" in stale.error
    assert not job_fail_stale(fresh)


def test_a_queued_job_waiting_for_the_broker_is_not_lost(subject, settings):
    """Its dispatch is still in the outbox (broker down): it will be sent, so it is kept."""
    job, _ = start(subject)
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.JOB_QUEUED_STALE_AFTER_SECONDS + 60
    )
    Job.objects.filter(pk=job.pk).update(created_at=long_ago)
    assert OutboxMessage.objects.get(job=job).sent_at is None
    fail_stale_jobs()
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert start(subject) == (job, False)


def test_beat_looks_for_lost_jobs_every_few_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fail-stale-jobs"]
    assert entry["schedule"] < settings.JOB_STALE_AFTER_SECONDS
    assert settings.JOB_HEARTBEAT_SECONDS * 3 <= settings.JOB_STALE_AFTER_SECONDS


# ---- the API ---------------------------------------------------------------------------------


def test_the_starter_and_the_desk_read_a_job_others_get_404(
    subject, api, member_a, colleague_a, desk, analyst
):
    job, _ = start(subject, member_a)
    for user in (member_a, desk):
        response = api(user).get(f"/api/v1/jobs/{job.pk}/")
        assert response.status_code == 200
        assert response.json()["state"] == "queued" and response.json()["progress"] == 0.0
    for user in (colleague_a, analyst):
        assert api(user).get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert api(member_a).get(f"/api/v1/jobs/{uuid.uuid4()}/").status_code == 404
    assert api(None).get(f"/api/v1/jobs/{job.pk}/").status_code == 401


def test_the_job_api_shows_progress_and_error(subject, api, member_a):
    job, _ = start(subject, member_a)
    with job_running(str(job.pk)):
        raise RuntimeError("The worker could not read the file.")
    data = api(member_a).get(f"/api/v1/jobs/{job.pk}/").json()
    assert data["state"] == "failed" and data["error"] == "The worker could not read the file."
    assert set(data) >= {"id", "state", "progress", "error"}


def test_beat_runs_the_integrity_check_hourly_and_fails_stale_jobs(settings):
    from rohstoff.celery import app

    app.loader.import_default_modules()
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["rohstoff.core.tasks.audit_integrity_check"] == 3600
    assert "rohstoff.core.tasks.fail_stale_jobs" in schedule
    assert schedule["rohstoff.core.tasks.resend_outbox"] <= 60
    for name in schedule:  # every scheduled task exists under that name
        assert name in app.tasks, name
