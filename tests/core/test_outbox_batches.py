"""A mail to every member of a national round (issue 14, docs/operations.md "The outbox"): the
messages are written in one statement and published after commit by workers, a batch each,
instead of one INSERT and one broker call per recipient in the request (10,000 members: 5 s of
INSERTs before the commit and as long again after it). Nothing is lost when the broker is down,
and a batch delivered twice publishes nothing twice."""

from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rohstoff.core import outbox
from rohstoff.core.mail import mail_enqueue
from rohstoff.core.models import OutboxMessage
from rohstoff.core.tasks import resend_outbox

from .test_outage import broker_back, long_ago, redis_down  # noqa: F401

MANY = outbox.PUBLISH_INLINE + 5


def _addresses(n):
    return [f"kaeufer{i}@firma{i}.example" for i in range(n)]


def _enqueue(n) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert (
            mail_enqueue(
                template="core/email/audit_check_failed",
                to=_addresses(n),
                context={"problem": "Test"},
            )
            == n
        )
    return queries


def test_many_mails_are_written_in_one_statement_and_all_sent_after_commit(
    db, django_capture_on_commit_callbacks, settings, monkeypatch
):
    monkeypatch.setattr(outbox, "PUBLISH_BATCH", 10)  # three batches of the 25
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queries = _enqueue(MANY)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert len(callbacks) == 1  # one hand-over to the workers, not one per mail
    assert sorted(m.to[0] for m in mail.outbox) == sorted(_addresses(MANY))
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_few_mails_are_still_published_by_the_request(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _enqueue(3)
    assert len(callbacks) == 3 and len(mail.outbox) == 3


def test_when_the_broker_is_down_the_batch_stays_in_the_outbox_and_goes_out_later(
    redis_down,  # noqa: F811
    db,
    caplog,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(MANY)  # the request goes on: nothing raised
    assert "resend_outbox sends them" in caplog.text
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == MANY
    broker_back()
    OutboxMessage.objects.update(created_at=long_ago(60))
    assert resend_outbox() == MANY
    assert len(mail.outbox) == MANY


def test_a_batch_delivered_twice_sends_each_mail_once(db):
    with transaction.atomic():
        _enqueue(MANY)  # no commit in the test's transaction: nothing published yet
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    assert outbox.publish_many(ids) == MANY
    assert outbox.publish_many(ids) == 0
    assert len(mail.outbox) == MANY
