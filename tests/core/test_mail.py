"""Mail goes one way: queued on commit through the outbox, one task per recipient, written in the
recipient's language, retried when the mail server fails, sent once when a task runs twice."""

import datetime
import smtplib
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import resolve

from rohstoff.core import services, tasks
from rohstoff.core.mail import absolute_url, decode, encode, mail_enqueue
from rohstoff.core.models import OutboxMessage, User
from rohstoff.core.tasks import resend_outbox

from ..conftest import TEST_PASSWORD
from .test_outage import CLOSED, _use_broker, long_ago


def _resolves(link: str, name: str) -> dict:
    """The keyword arguments of ``link`` when it is an absolute link to the view ``name``."""
    assert link.startswith(settings.SITE_URL + "/")
    match = resolve(urlsplit(link).path)
    assert match.url_name == name
    return match.kwargs


def _link_in(body: str) -> str:
    return next(word for word in body.split() if word.startswith(settings.SITE_URL))


def test_absolute_url_is_the_site_url_and_the_reversed_path(settings):
    settings.SITE_URL = "https://rohstoff.example"
    assert absolute_url("invitation_accept", "k3y") == "https://rohstoff.example/invitation/k3y/"
    assert absolute_url("industry:round_detail", pk=7) == "https://rohstoff.example/rounds/7/"


def test_invitations_are_written_in_the_recipients_language_with_a_working_link(
    member_admin_a, firm_a, make_user, client, django_capture_on_commit_callbacks
):
    english = make_user("member", org=firm_a, email="reader@firm-a.example")
    services.user_set_language(user=english, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, link = services.invitation_create(
            actor=member_admin_a, email="new@firm-a.example", organisation=firm_a, role="member"
        )
        services.invitation_create(
            actor=member_admin_a, email=english.email, organisation=firm_a, role="member"
        )
    new, existing = sorted(mail.outbox, key=lambda m: m.to[0] != "new@firm-a.example")
    # A new address has no language yet: German, the platform's.
    assert new.to == ["new@firm-a.example"] and new.subject.startswith("[Rohstoff] Sie sind")
    assert "Öffnen Sie diesen Link" in new.body and _link_in(new.body) == link
    key = _resolves(link, "invitation_accept")["key"]
    assert len(key) == 64 and not OutboxMessage.objects.filter(kwargs__icontains=key).exists()
    # The existing account holder reads English.
    assert existing.to == [english.email]
    assert existing.subject == "[Rohstoff] An invitation for an address that has an account"
    assert "sign in as usual" in existing.body
    # The link in the mail opens the invitation.
    response = client.post(
        urlsplit(link).path,
        {"full_name": "Neu", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new@firm-a.example", is_active=True).exists()


def test_feedback_reaches_the_contact_in_the_language_of_its_user_if_any(
    make_user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_submit(message="Kontrast zu gering", contact="", page_url="/rounds/")
    (german,) = mail.outbox
    assert german.to == [settings.ACCESSIBILITY_CONTACT_EMAIL]
    assert german.subject == "[Rohstoff] Barrierefreiheit: Rückmeldung"
    assert "Kontrast zu gering" in german.body and "Seite: /rounds/" in german.body
    contact = make_user("", staff=True, email="a11y@rohstoff.example")
    services.user_set_language(user=contact, language="en")
    settings.ACCESSIBILITY_CONTACT_EMAIL = "A11y@rohstoff.example"
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_submit(message="Low contrast", contact="x@y.example", page_url="/")
    assert mail.outbox[1].subject == "[Rohstoff] Accessibility: feedback"
    assert "Contact: x@y.example" in mail.outbox[1].body


def test_nothing_is_sent_when_the_transaction_rolls_back(
    member_a, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.feedback_submit(message="kaputt", contact="", page_url="/")
        raise RuntimeError("the request failed after the mail was queued")
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()


def test_a_mail_server_error_is_retried_and_the_mail_not_lost(
    member_a, monkeypatch, django_capture_on_commit_callbacks
):
    real_send = EmailMessage.send
    failures = []

    def flaky_send(self, fail_silently=False):
        if not failures:
            failures.append(self.to)
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, fail_silently)

    retries = []
    real_retry = tasks.mail_send.retry

    def spy_retry(*args, **kwargs):
        retries.append(kwargs.get("exc"))
        return real_retry(*args, **kwargs)

    feedback = services.feedback_submit(message="x", contact="", page_url="/")
    monkeypatch.setattr(EmailMessage, "send", flaky_send)
    monkeypatch.setattr(tasks.mail_send, "retry", spy_retry)
    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(
            template="core/email/accessibility_feedback",
            to=[member_a],
            context={"feedback": feedback},
        )
    assert failures == [[member_a.email]]
    assert len(retries) == 1 and isinstance(retries[0], smtplib.SMTPServerDisconnected)
    assert [m.to for m in mail.outbox] == [[member_a.email]]  # sent on the retry, once


def test_a_mail_task_that_runs_twice_sends_once(member_a):
    feedback = services.feedback_submit(message="x", contact="", page_url="/")
    kwargs = {
        "template": "core/email/accessibility_feedback",
        "email": member_a.email,
        "user_id": member_a.pk,
        "context": encode({"feedback": feedback}),
        "key": "one-mail",
    }
    assert tasks.mail_send.apply(kwargs=kwargs).get() is True
    assert tasks.mail_send.apply(kwargs=kwargs).get() is False  # delivered again: not sent again
    assert len(mail.outbox) == 1
    feedback.delete()  # what the mail is about is gone: nothing to send
    assert tasks.mail_send.apply(kwargs={**kwargs, "key": "another"}).get() is False
    assert len(mail.outbox) == 1


def test_a_deactivated_recipient_gets_nothing(member_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail_enqueue(
            template="core/email/invitation_existing_account",
            to=[member_a],
            context={},
        )
    User.objects.filter(pk=member_a.pk).update(is_active=False)
    for callback in callbacks:
        callback()
    assert mail.outbox == []


def test_a_broker_outage_leaves_an_outbox_row_that_the_resend_delivers(
    member_a, django_capture_on_commit_callbacks
):
    from rohstoff.celery import app

    previous = app.conf.broker_url
    _use_broker(app, CLOSED, eager=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.feedback_submit(message="Fokus unsichtbar", contact="", page_url="/")
    finally:
        _use_broker(app, previous, eager=True)
    message = OutboxMessage.objects.get(task=tasks.mail_send.name)
    assert message.sent_at is None and message.last_error and mail.outbox == []
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=long_ago(60))
    assert resend_outbox() == 1
    assert len(mail.outbox) == 1 and "Fokus unsichtbar" in mail.outbox[0].body


def test_mail_context_refuses_what_a_task_cannot_carry(member_a):
    with pytest.raises(TypeError):
        mail_enqueue(template="x", to=[member_a], context={"when": object()})
    values = {"at": datetime.date(2027, 1, 1), "user": member_a, "list": [member_a, 1]}
    assert decode(encode(values)) == values


# ---- the user's language -----------------------------------------------------------------------


def test_a_signed_in_user_who_switches_the_language_keeps_it_for_mail(login, member_a, client):
    assert member_a.language == "de"
    page = login(member_a).get("/account/").content.decode()
    assert 'name="language"' in page and '<option value="de" lang="de" selected>' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/account/"})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.language == "en"
    assert '<option value="en" lang="en" selected>' in client.get("/account/").content.decode()
    client.post("/i18n/setlang/", {"language": "xx", "next": "/account/"})
    member_a.refresh_from_db()
    assert member_a.language == "en"  # an unknown language changes nothing


def test_an_anonymous_language_switch_still_works(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_new_users_read_german(firm_a, db):
    user = services.user_create(email="neu@firm-a.example", organisation=firm_a, role="member")
    assert user.language == "de"


def test_a_mail_server_that_accepts_and_then_hangs_fails_the_send_after_email_timeout(settings):
    """A hanging server must not hold a worker: the send raises an OSError (which the task
    retries) after EMAIL_TIMEOUT seconds instead of waiting forever."""
    import socket
    import threading
    import time

    from django.core.mail import get_connection

    assert settings.EMAIL_TIMEOUT, "the platform sets a timeout for the mail server"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    settings.EMAIL_TIMEOUT = 1
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host="127.0.0.1",
        port=server.getsockname()[1],
    )
    started = time.monotonic()
    try:
        with pytest.raises(OSError):  # the greeting never comes
            EmailMessage("s", "b", to=["a@example.org"], connection=connection).send()
        assert time.monotonic() - started < 10
    finally:
        server.close()


def test_a_mail_out_of_retries_is_parked_for_a_later_round_and_sent_then(
    member_a, monkeypatch, settings
):
    """A mail server that stays down through all retries does not lose the mail: it is parked in
    the outbox, due some hours later, and the beat task sends it once the server is back. After
    the last round it is given up."""
    settings.MAIL_ROUND_PAUSE_SECONDS = 3600
    feedback = services.feedback_submit(message="x", contact="", page_url="/")

    def down(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMessage, "send", down)
    kwargs = {
        "template": "core/email/accessibility_feedback",
        "email": member_a.email,
        "key": "parked-mail",
        "user_id": member_a.pk,
        "context": encode({"feedback": feedback}),
    }
    result = tasks.mail_send.apply(kwargs=kwargs, retries=tasks.mail_send.max_retries)
    assert result.result is False and mail.outbox == []
    parked = OutboxMessage.objects.get(kwargs__key="parked-mail")
    assert parked.sent_at is None
    assert parked.kwargs["email"] == member_a.email and parked.kwargs["mail_round"] == 2
    assert "SMTPServerDisconnected" in parked.last_error
    # Not due yet: the beat task leaves it.
    assert resend_outbox() == 0
    # Due, and the server is back: it goes out, once.
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=parked.pk).update(created_at=long_ago())
    assert resend_outbox() == 1
    assert [m.to for m in mail.outbox] == [[member_a.email]]

    # The last round gives up (an error in the log), and parks nothing more.
    monkeypatch.setattr(EmailMessage, "send", down)
    last = {**kwargs, "key": "given-up", "mail_round": settings.MAIL_ROUNDS}
    with pytest.raises(smtplib.SMTPServerDisconnected):
        tasks.mail_send.apply(kwargs=last, retries=tasks.mail_send.max_retries, throw=True).get()
    assert not OutboxMessage.objects.filter(kwargs__key="given-up").exists()
