"""What needs the real machinery: the worker that sends the e-mails, PostgreSQL's row locks in the
deadline race and between colleagues, and the benchmark command."""

import datetime
import re
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from industry.lines import services as line_services
from industry.models import DemandLine, DemandRound, RoundState
from industry.rounds import services as round_services
from rohstoff.core.errors import StateConflict

from ..conftest import wait_for


@pytest.mark.worker
def test_the_worker_sends_the_round_opened_mail(
    celery_worker_redis, make_round, desk, member_a, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    round = make_round(state="draft")
    mail.outbox.clear()
    round_services.round_open(round=round, actor=desk)  # on commit: the task goes to Redis
    wait_for(lambda: mail.outbox)  # the notice is marked as sent before the mail goes out
    assert [m.to for m in mail.outbox] == [[member_a.email]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deadline_race_a_save_waiting_for_the_close_gets_a_conflict(
    make_round, desk, member_a, materials
):
    """The desk's close holds the round's row lock; a save that arrives meanwhile waits for it
    and is then refused, although it started while the round was open."""
    round = make_round()
    round_services.terms_accept(round=round, actor=member_a)
    closing = threading.Event()
    release = threading.Event()
    outcome = {}

    def close_slowly(sender, round, actor, **kwargs):
        closing.set()
        release.wait(10)  # keep the close's transaction (and its row lock) open

    from industry import signals

    signals.round_closed.connect(close_slowly)

    def desk_closes():
        try:
            round_services.round_close(round=DemandRound.objects.get(pk=round.pk), actor=desk)
        finally:
            connections.close_all()

    def member_saves():
        translation.activate("en")  # threads start in the default language
        try:
            line_services.line_enter(
                round=DemandRound.objects.get(pk=round.pk),
                actor=member_a,
                material=materials["ndpr-oxide"],
                period="2028",
                quantity=Decimal(5),
                unit="t",
            )
            outcome["result"] = "saved"
        except StateConflict as exc:
            outcome["result"] = str(exc.message)
        finally:
            connections.close_all()

    try:
        closer = threading.Thread(target=desk_closes)
        closer.start()
        assert closing.wait(10)
        saver = threading.Thread(target=member_saves)
        saver.start()
        saver.join(0.5)
        assert saver.is_alive(), "the save must wait for the close's lock"
        release.set()
        closer.join(10)
        saver.join(10)
    finally:
        signals.round_closed.disconnect(close_slowly)
    assert "no longer" in outcome["result"]
    # closed, or aggregated already by the positions job (it runs in-process in tests)
    assert DemandRound.objects.get(pk=round.pk).state in (RoundState.CLOSED, RoundState.AGGREGATED)
    assert not DemandLine.objects.filter(round=round).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_colleagues_saving_the_same_version_at_once(
    make_round, member_a, colleague_a, materials
):
    round = make_round()
    round_services.terms_accept(round=round, actor=member_a)
    line, _ = line_services.line_enter(
        round=round,
        actor=member_a,
        material=materials["ndpr-oxide"],
        period="2028",
        quantity=Decimal(5),
        unit="t",
    )
    barrier = threading.Barrier(2)
    results = []

    def save(user, quantity):
        barrier.wait(5)
        try:
            line_services.line_update(
                line=DemandLine.objects.get(pk=line.pk),
                actor=user,
                expected_version=1,
                material=materials["ndpr-oxide"],
                period="2028",
                quantity=Decimal(quantity),
                unit="t",
            )
            results.append(("saved", quantity))
        except StateConflict as exc:
            results.append(("conflict", str(exc.message)))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(member_a, 6)),
        threading.Thread(target=save, args=(colleague_a, 7)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(kind for kind, _ in results) == ["conflict", "saved"]
    saved = next(value for kind, value in results if kind == "saved")
    line.refresh_from_db()
    assert line.quantity == saved and line.version == 2 and line.history.count() == 1


@pytest.mark.postgres
def test_benchmark_import_runs_and_reports_the_ratio(db):
    out = StringIO()
    call_command("benchmark_import", "--rows", "300", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert any(line.startswith("bare COPY statement: COPY benchmark_copy") for line in lines)
    assert any(line.startswith("keyed COPY statement: COPY benchmark_keyed_line") for line in lines)
    assert any(line.startswith("import_vs_copy_ratio=") for line in lines)
    assert re.search(r"keyed COPY \(5 foreign keys, committed\), first", out.getvalue())
    assert re.search(
        r"import_vs_keyed_copy_ratio_first=[\d.]+ import_vs_keyed_copy_ratio_replace=[\d.]+",
        out.getvalue(),
    )
    assert lines[-1].startswith("import_vs_keyed_copy_ratio=")
    assert float(lines[-1].split("=")[1]) > 0
    assert not DemandRound.objects.filter(title__startswith="Benchmark").exists()  # removed
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('benchmark_keyed_line')")
        assert cursor.fetchone()[0] is None


@pytest.mark.postgres
def test_benchmark_import_times_the_same_rows_as_xlsx(db):
    out = StringIO()
    call_command("benchmark_import", "--rows", "200", "--xlsx", stdout=out)
    values = dict(
        line.split("=", 1)
        for line in out.getvalue().splitlines()
        if "=" in line and " " not in line
    )
    assert (
        float(values["xlsx_import_median_s"]) > 0 and float(values["xlsx_read_and_validate_s"]) > 0
    )
    assert float(values["csv_read_and_validate_s"]) > 0 and int(values["xlsx_file_bytes"]) > 0
    assert out.getvalue().strip().splitlines()[-1].startswith("import_vs_keyed_copy_ratio=")


def test_benchmark_import_refuses_sqlite(db, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="SQLite"):
        call_command("benchmark_import", "--rows", "10")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_mailing_the_members_does_not_hold_the_rounds_lock(make_round, member_a, monkeypatch):
    """Every line save locks the round's row; sending the opened notice and the reminder to all
    member users (slow with many of them) must not hold that lock meanwhile."""
    from django.db import OperationalError

    from industry import tasks

    round = make_round(closes_at=timezone.now() + datetime.timedelta(days=2))
    DemandRound.objects.filter(pk=round.pk).update(
        opened_notice_sent_at=None, reminder_sent_at=None
    )
    seen = []

    def round_is_free():
        try:
            with transaction.atomic():
                DemandRound.objects.select_for_update(nowait=True).get(pk=round.pk)
            seen.append("free")
        except OperationalError:
            seen.append("locked")
        finally:
            connections.close_all()

    def send(message, fail_silently=False):
        thread = threading.Thread(target=round_is_free)  # another connection, as a request has
        thread.start()
        thread.join(10)
        return 1

    monkeypatch.setattr(EmailMessage, "send", send)
    result = tasks.send_deadline_reminders()
    assert result == {"opened": [round.pk], "reminded": [round.pk]}
    assert seen == ["free", "free"]  # one member: the notice, then the reminder
    assert tasks.send_deadline_reminders() == {"opened": [], "reminded": []}
    assert seen == ["free", "free"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notice_whose_mail_server_failed_is_retried_and_sent_once(
    make_round, member_a, monkeypatch
):
    from industry import tasks

    round = make_round()
    DemandRound.objects.filter(pk=round.pk).update(opened_notice_sent_at=None)
    mail.outbox.clear()
    real_send, failed = EmailMessage.send, []

    def away_once(message, fail_silently=False):
        if not failed:
            failed.append(message.to)
            raise OSError("mail server away")
        return real_send(message, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", away_once)
    assert tasks.send_round_opened_notice(round.pk) == 1  # queued; the mail task retries
    assert failed == [[member_a.email]]
    assert DemandRound.objects.get(pk=round.pk).opened_notice_sent_at is not None
    assert tasks.send_round_opened_notice(round.pk) == 0  # claimed: not queued again
    assert [m.to for m in mail.outbox] == [[member_a.email]]
