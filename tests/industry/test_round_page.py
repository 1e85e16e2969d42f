"""The round page after closing: the true closing time of a round closed early, and the running
aggregation's progress, then its result."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from industry.models import RoundState
from industry.rounds import services as round_services
from rohstoff.core.formatting import format_datetime
from rohstoff.core.models import AuditEvent


def page(client, round, language="en"):
    return client.get(f"/rounds/{round.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def closing_time(round, language):
    event = AuditEvent.objects.filter(action="round.close", object_id=str(round.pk)).first()
    with translation.override(language):
        return format_datetime(event.at)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "closed early, planned for"), ("de", "vorzeitig geschlossen, geplant für")],
)
def test_a_round_closed_early_shows_when_it_was_closed(
    login, make_round, desk, member_a, language, words
):
    round = make_round(state="closed")
    for user in (desk, member_a):
        html = page(login(user), round, language)
        closed = closing_time(round, language)
        with translation.override(language):
            planned = format_datetime(round.closes_at)
        assert 'data-testid="closed-at"' in html
        assert f"{closed} · {words} {planned}" in html


def test_the_last_closing_counts_after_a_reopening(login, make_round, desk):
    round = make_round(state="closed")
    round = round_services.round_reopen(round=round, actor=desk)
    assert 'data-testid="closed-at"' not in page(login(desk), round)  # open again
    round = round_services.round_close(round=round, actor=desk)
    html = page(login(desk), round)
    last = closing_time(round, "en")  # the newest round.close event
    assert f'data-testid="closed-at">{last}' in html


def test_an_open_round_and_a_round_closed_at_its_deadline_show_the_planned_time(
    login, make_round, desk
):
    open_round = make_round(state="open")
    assert 'data-testid="closed-at"' not in page(login(desk), open_round)
    due = make_round(state="open")
    due.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    due.save(update_fields=["closes_at"])
    due = round_services.round_close(round=due, actor=None)  # the deadline task
    html = page(login(desk), due)
    assert due.state == RoundState.CLOSED and 'data-testid="closed-at"' not in html
    assert format_datetime(due.closes_at) in html


def test_after_closing_the_page_shows_the_jobs_progress_then_its_result(
    login, make_round, desk, enter, open_round, member_a, django_capture_on_commit_callbacks
):
    enter(open_round, member_a, period="2027")
    client = login(desk)
    with django_capture_on_commit_callbacks(execute=False) as closing:
        client.post(f"/rounds/{open_round.pk}/close/")
    with django_capture_on_commit_callbacks(execute=False) as worker:
        for callback in closing:  # the closing commits: the aggregation job is queued
            callback()
    html = page(client, open_round)
    panel = reverse("tradinghouse:round_panel", args=[open_round.pk])
    assert f'hx-get="{panel}" hx-trigger="load"' in html  # the page loads the panel
    running = client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="aggregation-progress"' in running and 'hx-trigger="every 1s"' in running
    for callback in worker:  # the worker runs the job
        callback()
    done = client.get(f"{panel}?poll=1", HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and 'data-testid="aggregation-done"' in done.content.decode()
