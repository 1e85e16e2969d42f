"""Redis down is not an outage: sign-in and pages that read the cache keep working, rate limits
keep counting, and a job whose dispatch failed is sent again once the broker is back.

The outage is real: cache and broker point at a closed port (nothing listens on 127.0.0.1:1)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from rohstoff.core.jobs import job_start
from rohstoff.core.models import Job, JobState, OutboxMessage
from rohstoff.core.outbox import enqueue_on_commit
from rohstoff.core.tasks import resend_outbox

from ..conftest import TEST_PASSWORD, wait_for

# The aggregated round of the tradinghouse tests (its fixtures, imported to be found here).
from ..tradinghouse.conftest import add_line, aggregate, make_round, rich_round  # noqa: F401
from .job_tasks import TASK

CLOSED = "redis://127.0.0.1:1/0"


def _use_broker(app, url: str, *, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None  # the connection and producer pools were made for the previous URL
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    """Cache and Celery broker on a closed port, as in production (not eager) settings."""
    from rohstoff.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "rohstoff.core.cache.ResilientRedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    previous = app.conf.broker_url
    _use_broker(app, CLOSED, eager=False)
    yield
    _use_broker(app, previous, eager=True)


def broker_back():
    """Normal test settings again: tasks run in-process (eager)."""
    from rohstoff.celery import app

    _use_broker(app, app.conf.broker_url, eager=True)


def long_ago(seconds=3600):
    return timezone.now() - datetime.timedelta(seconds=seconds)


# ---- the cache ---------------------------------------------------------------------------------


def test_the_cache_serves_from_memory_while_redis_is_down(redis_down):
    assert cache.get("missing") is None
    assert cache.add("counter", 0, timeout=60)
    assert cache.incr("counter") == 1
    assert cache.get("counter") == 1  # what this process wrote is still there
    with pytest.raises(ValueError):
        cache.incr("never-set")  # the same contract as a working cache


def test_sign_in_works_while_redis_is_down(redis_down, client, member_a):
    response = client.post("/accounts/login/", {"login": member_a.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_failed_sign_ins_are_still_limited_while_redis_is_down(redis_down, client, member_a):
    """The rate limit fails safe: it counts in the process instead of letting every try through."""
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": member_a.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": member_a.email, "password": TEST_PASSWORD})
    assert response.status_code == 200  # refused even with the right password
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in str(response.context["form"].errors)


def test_the_round_dashboard_works_while_redis_is_down(rich_round, redis_down, login, desk):  # noqa: F811
    from django.urls import reverse

    response = login(desk).get(reverse("tradinghouse:round_dashboard", args=[rich_round.pk]))
    assert response.status_code == 200
    assert rich_round.title in response.content.decode()


def test_closing_a_round_while_the_broker_is_down_succeeds_and_queues_its_aggregation(
    make_round,  # noqa: F811 - the imported fixture
    redis_down,
    desk,
    django_capture_on_commit_callbacks,
):
    from industry.rounds.services import round_close
    from tradinghouse.services import AGGREGATION_JOB

    round = make_round(state="open")
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=round, actor=desk)  # the aggregation is started after commit
    round.refresh_from_db()
    assert round.state == "closed"
    job = Job.objects.get(kind=AGGREGATION_JOB, subject_id=str(round.pk))
    assert job.state == JobState.QUEUED
    assert OutboxMessage.objects.get(job=job).sent_at is None  # re-sent when Redis is back


# ---- the outbox --------------------------------------------------------------------------------


def test_a_job_started_while_the_broker_is_down_is_sent_when_it_is_back(
    redis_down, firm_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job, created = job_start(kind="test_job", subject=firm_a, task=TASK)  # no exception
    message = OutboxMessage.objects.get(job=job)
    assert created and Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert message.sent_at is None and message.attempts == 1
    assert "OperationalError" in message.last_error or "Connection" in message.last_error
    # Waiting for the broker is not "lost": a retry answers with the same job.
    Job.objects.filter(pk=job.pk).update(created_at=long_ago())
    assert job_start(kind="test_job", subject=firm_a, task=TASK) == (job, False)

    broker_back()
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=long_ago(60))
    assert resend_outbox() == 1
    message.refresh_from_db()
    job.refresh_from_db()
    assert message.sent_at is not None and message.last_error == ""
    assert job.state == JobState.SUCCEEDED and job.result == {"ran": True}


def test_the_beat_leaves_recent_messages_to_the_after_commit_path(firm_a):
    job, _ = job_start(kind="test_job", subject=firm_a, task=TASK)  # test transaction: unsent
    assert resend_outbox() == 0
    assert OutboxMessage.objects.get(job=job).sent_at is None


def test_a_failed_publish_is_logged_not_raised_into_the_request(
    redis_down, db, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = enqueue_on_commit(TASK, job_id="00000000-0000-0000-0000-000000000000")
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert "Could not publish outbox message" in caplog.text


def test_a_message_is_sent_once_by_the_normal_path(firm_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_start(kind="test_job", subject=firm_a, task=TASK)
    message = OutboxMessage.objects.get(job=job)
    assert message.sent_at is not None and message.attempts == 1
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=long_ago(60))
    assert resend_outbox() == 0  # nothing left to re-send
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def test_sent_messages_are_forgotten_after_a_week(firm_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_start(kind="test_job", subject=firm_a, task=TASK)
    OutboxMessage.objects.filter(job=job).update(sent_at=long_ago(8 * 24 * 3600))
    unsent = enqueue_on_commit(TASK, job_id=str(job.pk))
    OutboxMessage.objects.filter(pk=unsent.pk).update(created_at=long_ago(8 * 24 * 3600))
    from rohstoff.core.outbox import purge_sent

    assert purge_sent() == 1
    assert list(OutboxMessage.objects.all()) == [unsent]


@pytest.mark.worker
def test_a_real_worker_runs_the_job_once_the_beat_resends_it(
    redis_down, celery_worker_redis, firm_a, settings
):
    """Started while Redis is down (the worker fixture starts after the outage fixture, but the
    job is started with the broker pointed at the closed port)."""
    from rohstoff.celery import app

    _use_broker(app, CLOSED, eager=False)
    job, _ = job_start(kind="test_job", subject=firm_a, task=TASK)  # autocommit: publish fails
    message = OutboxMessage.objects.get(job=job)
    assert message.sent_at is None and Job.objects.get(pk=job.pk).state == JobState.QUEUED

    _use_broker(app, settings.REDIS_URL, eager=False)  # Redis is back; the worker listens there
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=long_ago(60))
    assert resend_outbox() == 1
    wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED)
