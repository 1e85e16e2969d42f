"""Services of rounds and lines: transitions, audit, terms, replace and history, optimistic
concurrency, the deadline, screening, and the beat tasks."""

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import resolve
from django.utils import timezone

from industry import signals, tasks
from industry.lines import services as line_services
from industry.models import DemandLine, DemandLineHistory, DemandRound, RoundState
from industry.rounds import services as round_services
from industry.upload import services as upload_services
from rohstoff.core.audit import audit_verify
from rohstoff.core.errors import StateConflict
from rohstoff.core.formatting import format_datetime
from rohstoff.core.models import AuditEvent
from rohstoff.core.periods import Quarter
from rohstoff.core.services import user_set_language


def actions(obj):
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# ---- rounds ----------------------------------------------------------------------------------


def test_round_lifecycle_is_audit_logged(make_round, desk):
    round = make_round(state="draft")
    assert round.state == RoundState.DRAFT and round.first_period == Quarter(2027, 1)
    round = round_services.round_open(round=round, actor=desk)
    round = round_services.round_close(round=round, actor=desk)
    round = round_services.round_reopen(round=round, actor=desk)
    round = round_services.round_close(round=round, actor=desk)
    round = round_services.round_mark_aggregated(round=round)
    assert round.state == RoundState.AGGREGATED
    assert actions(round) == [
        "round.create",
        "round.open",
        "round.close",
        "round.reopen",
        "round.close",
        "round.aggregated",
    ]
    event = AuditEvent.objects.filter(action="round.close").first()
    assert event.before["state"] == "open" and event.after["state"] == "closed"
    assert audit_verify().ok


def test_round_close_sends_the_signal_inside_its_transaction(make_round, desk):
    received = []

    def receiver(sender, round, actor, **kwargs):
        # Inside the transaction the state is already closed.
        received.append((sender, DemandRound.objects.get(pk=round.pk).state, actor))

    signals.round_closed.connect(receiver)
    try:
        round = make_round()
        round_services.round_close(round=round, actor=desk)
    finally:
        signals.round_closed.disconnect(receiver)
    assert received == [(DemandRound, RoundState.CLOSED, desk)]


@pytest.mark.parametrize(
    ("state", "transition"),
    [
        ("draft", "round_close"),
        ("draft", "round_reopen"),
        ("open", "round_open"),
        ("open", "round_reopen"),
        ("closed", "round_open"),
        ("closed", "round_close"),
        ("aggregated", "round_reopen"),
        ("aggregated", "round_close"),
    ],
)
def test_transitions_out_of_order_are_refused(make_round, desk, state, transition):
    round = make_round(state=state)
    with pytest.raises(StateConflict):
        getattr(round_services, transition)(round=round, actor=desk)
    assert DemandRound.objects.get(pk=round.pk).state == state


def test_mark_aggregated_is_a_no_op_when_aggregated_and_refused_when_open(make_round):
    round = make_round(state="aggregated")
    before = AuditEvent.objects.count()
    assert round_services.round_mark_aggregated(round=round).state == RoundState.AGGREGATED
    assert AuditEvent.objects.count() == before
    with pytest.raises(StateConflict):
        round_services.round_mark_aggregated(round=make_round(state="open"))


def test_reopen_needs_a_deadline_in_the_future(make_round, desk):
    round = make_round(state="closed")
    DemandRound.objects.filter(pk=round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError):
        round_services.round_reopen(round=round, actor=desk)
    later = timezone.now() + datetime.timedelta(days=3)
    round = round_services.round_reopen(round=round, actor=desk, closes_at=later)
    assert round.state == RoundState.OPEN and round.closes_at == later


def test_only_drafts_are_edited_and_bad_values_change_nothing(make_round, desk, materials):
    round = make_round(state="draft")
    round_services.round_update(
        round=round,
        actor=desk,
        title="Neu",
        materials=[materials["ndpr-oxide"]],
        last_period=Quarter(2030, 4),
    )
    round.refresh_from_db()
    assert round.title == "Neu" and list(round.materials.all()) == [materials["ndpr-oxide"]]
    assert round.last_period == Quarter(2030, 4)
    with pytest.raises(ValidationError) as exc:
        round_services.round_update(round=round, actor=desk, last_period=Quarter(2026, 1))
    assert "last_period" in exc.value.message_dict
    round.refresh_from_db()
    assert round.last_period == Quarter(2030, 4)
    opened = round_services.round_open(round=round, actor=desk)
    with pytest.raises(StateConflict):
        round_services.round_update(round=opened, actor=desk, title="Zu spät")


def test_round_create_validates(desk, materials):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        round_services.round_create(
            actor=desk,
            title=" ",
            materials=[],
            first_period="2027-Q5",
            last_period="2026-Q1",
            opens_at=now,
            closes_at=now - datetime.timedelta(days=1),
            min_quantity_t=Decimal("-1"),
        )
    assert set(exc.value.message_dict) == {
        "title",
        "materials",
        "first_period",
        "closes_at",
        "min_quantity_t",
    }
    assert not DemandRound.objects.exists()


# ---- lines -----------------------------------------------------------------------------------


def test_terms_are_needed_before_the_first_line(make_round, member_a, enter):
    round = make_round()
    with pytest.raises(StateConflict, match="terms"):
        enter(round, member_a)
    acceptance = round_services.terms_accept(round=round, actor=member_a)
    assert round_services.terms_accept(round=round, actor=member_a) == acceptance  # once per firm
    line, outcome = enter(round, member_a)
    assert outcome == "created" and line.entered_by == member_a


def test_a_colleague_shares_the_firms_acceptance(open_round, colleague_a, enter):
    assert enter(open_round, colleague_a)[1] == "created"


def test_entering_the_same_key_replaces_the_line_and_keeps_history(
    open_round, member_a, colleague_a, enter
):
    line, _ = enter(open_round, member_a, quantity="40")
    again, outcome = enter(open_round, colleague_a, quantity="2500", unit="kg", commitment="firm")
    assert outcome == "replaced" and again.pk == line.pk
    assert (again.quantity, again.unit, again.quantity_t, again.version) == (
        Decimal("2500"),
        "kg",
        Decimal("2.5"),
        2,
    )
    history = DemandLineHistory.objects.get(line=line)
    assert (
        history.change,
        history.quantity,
        history.unit,
        history.version,
        history.changed_by,
    ) == ("replaced", Decimal("40"), "t", 1, colleague_a)
    other, outcome = enter(open_round, member_a, quantity="40", grade="battery grade")
    assert outcome == "created" and other.pk != line.pk  # the grade is part of the key


def test_quantity_t_is_tonnes_at_six_places_half_even(open_round, member_a, enter):
    line, _ = enter(open_round, member_a, quantity="1", unit="lb")
    assert line.quantity_t == Decimal("0.000454")
    line, _ = enter(open_round, member_a, material="ndpr-oxide", quantity="0.0005", unit="kg")
    assert line.quantity_t == Decimal("0.000000")  # 0.0000005 t: half to even rounds down


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period": "2026"}, "period"),
        ({"period": "2032-Q1"}, "period"),
        ({"period": "Q1"}, "period"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"unit": "g"}, "unit"),
        ({"quantity": "0.0000001"}, "quantity"),
        ({"commitment": "maybe"}, "commitment"),
        ({"delivery_country": "XX"}, "delivery_country"),
        ({"grade": "x" * 201}, "grade"),
    ],
)
def test_bad_lines_are_refused_and_change_nothing(open_round, member_a, enter, values, field):
    with pytest.raises(ValidationError) as exc:
        enter(open_round, member_a, **values)
    assert field in exc.value.message_dict
    assert not DemandLine.objects.exists()


def test_material_outside_the_round_is_refused(open_round, member_a):
    from rohstoff.core.models import Material

    with pytest.raises(ValidationError) as exc:
        line_services.line_enter(
            round=open_round,
            actor=member_a,
            material=Material.objects.get(code="gallium"),
            period="2027",
            quantity=Decimal(1),
            unit="t",
        )
    assert "material" in exc.value.message_dict


def test_minimum_quantity_compares_tonnes(make_round, member_a, enter):
    round = make_round(min_quantity_t=Decimal("0.5"))
    round_services.terms_accept(round=round, actor=member_a)
    with pytest.raises(ValidationError):
        enter(round, member_a, quantity="499", unit="kg")
    assert enter(round, member_a, quantity="500", unit="kg")[0].quantity_t == Decimal("0.5")


def test_update_with_a_stale_version_says_who_changed_it(
    open_round, member_a, colleague_a, materials, enter
):
    line, _ = enter(open_round, member_a, quantity="40")
    values = {
        "material": materials["lithium-hydroxide"],
        "period": "2027",
        "unit": "t",
        "commitment": "firm",
        "grade": "",
        "delivery_country": "DE",
    }
    line_services.line_update(
        line=line, actor=colleague_a, expected_version=1, quantity=Decimal("45"), **values
    )
    with pytest.raises(StateConflict) as exc:
        line_services.line_update(
            line=line, actor=member_a, expected_version=1, quantity=Decimal("50"), **values
        )
    assert colleague_a.get_full_name() in str(exc.value.message) and "meanwhile" in str(
        exc.value.message
    )
    line.refresh_from_db()
    assert line.quantity == Decimal("45") and line.version == 2
    assert line.history.get().quantity == Decimal("40")


def test_update_to_the_key_of_another_line_is_refused(open_round, member_a, materials, enter):
    line, _ = enter(open_round, member_a, period="2027")
    enter(open_round, member_a, period="2028")
    with pytest.raises(ValidationError):
        line_services.line_update(
            line=line,
            actor=member_a,
            material=materials["lithium-hydroxide"],
            period="2028",
            quantity=Decimal(1),
            unit="t",
        )


def test_withdraw_keeps_history_and_reentering_revives(open_round, member_a, enter):
    line, _ = enter(open_round, member_a)
    line_services.line_withdraw(line=line, actor=member_a, expected_version=1)
    line.refresh_from_db()
    assert line.withdrawn_at is not None and not line.is_active
    assert line.history.get().change == "withdrawn"
    with pytest.raises(StateConflict):
        line_services.line_withdraw(line=line, actor=member_a)
    again, outcome = enter(open_round, member_a, quantity="41")
    assert outcome == "created" and again.pk == line.pk and again.withdrawn_at is None


def test_another_firm_cannot_change_a_line(line_a, member_b, materials):
    with pytest.raises(StateConflict):
        line_services.line_withdraw(line=line_a, actor=member_b)
    with pytest.raises(StateConflict):
        line_services.line_update(
            line=line_a,
            actor=member_b,
            material=materials["ndpr-oxide"],
            period="2027",
            quantity=Decimal(1),
            unit="t",
        )


def test_deadline_is_enforced_by_the_server(open_round, member_a, enter, line_a):
    # The beat task has not closed the round yet, but its closing time has passed.
    DemandRound.objects.filter(pk=open_round.pk).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    open_round.refresh_from_db()
    assert open_round.state == RoundState.OPEN
    with pytest.raises(StateConflict, match="closed at"):
        enter(open_round, member_a, period="2028")
    with pytest.raises(StateConflict):
        line_services.line_withdraw(line=line_a, actor=member_a)
    result_round = DemandRound.objects.get(pk=open_round.pk)
    with pytest.raises(StateConflict):
        upload_services.demand_import(
            round=result_round, actor=member_a, data=b"material,period,quantity,unit\n"
        )
    assert DemandLine.objects.filter(round=open_round).count() == 1


def test_no_entry_in_closed_rounds(open_round, desk, member_a, enter):
    round_services.round_close(round=open_round, actor=desk)
    with pytest.raises(StateConflict):
        enter(open_round, member_a)


def test_desk_excludes_with_a_reason_and_restores(open_round, line_a, desk, member_a):
    with pytest.raises(ValidationError):
        line_services.line_exclude(line=line_a, actor=desk, reason="  ")
    line = line_services.line_exclude(
        line=line_a, actor=desk, reason="Zehnfache Menge der Vorrunde"
    )
    assert (
        line.excluded
        and line.exclusion_reason == "Zehnfache Menge der Vorrunde"
        and line.excluded_by == desk
    )
    with pytest.raises(StateConflict):
        line_services.line_exclude(line=line, actor=desk, reason="again")
    line = line_services.line_restore(line=line, actor=desk)
    assert not line.excluded and line.exclusion_reason == ""
    assert [h.change for h in line.history.order_by("pk")] == ["excluded", "restored"]
    assert actions(line)[-2:] == ["demand_line.exclude", "demand_line.restore"]
    with pytest.raises(StateConflict):
        line_services.line_exclude(line=line, actor=member_a, reason="mine")


def test_no_screening_after_aggregation(open_round, line_a, desk):
    round_services.round_close(round=open_round, actor=desk)
    round_services.round_mark_aggregated(round=open_round)
    with pytest.raises(StateConflict):
        line_services.line_exclude(line=line_a, actor=desk, reason="late")


# ---- beat tasks and e-mail -------------------------------------------------------------------


def test_close_due_rounds_closes_through_the_service(make_round, desk):
    due = make_round()
    later = make_round()
    DemandRound.objects.filter(pk=due.pk).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=5)
    )
    received = []
    signals.round_closed.connect(
        handler := lambda sender, round, actor, **kw: received.append((round.pk, actor))
    )
    try:
        assert tasks.close_due_rounds() == [due.pk]
        assert tasks.close_due_rounds() == []  # safe to run twice
    finally:
        signals.round_closed.disconnect(handler)
    assert DemandRound.objects.get(pk=due.pk).state == RoundState.CLOSED
    assert DemandRound.objects.get(pk=later.pk).state == RoundState.OPEN
    assert received == [(due.pk, None)]
    assert (
        AuditEvent.objects.filter(action="round.close", object_id=str(due.pk))
        .get()
        .actor_label.startswith("system")
    )


def _link(body: str) -> str:
    return next(word for word in body.split() if word.startswith(settings.SITE_URL + "/"))


def test_opening_mails_every_member_once_in_their_language(
    make_round, member_a, member_b, desk, django_capture_on_commit_callbacks
):
    user_set_language(user=member_b, language="en")
    round = make_round(state="draft")
    with django_capture_on_commit_callbacks(execute=True):
        round_services.round_open(round=round, actor=desk)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == sorted([member_a.email, member_b.email])  # not the desk
    assert all(len(m.to) == 1 for m in mail.outbox)  # members do not learn of each other
    german, english = by_recipient[member_a.email], by_recipient[member_b.email]
    assert german.subject == f"[Rohstoff] Nachfragerunde geöffnet: {round.title}"
    assert english.subject == f"[Rohstoff] Demand round open: {round.title}"
    assert "Demand round" not in german.body and "Nachfragerunde" not in english.body
    # The deadline in each reader's format, the link absolute and to the round.
    closes = timezone.localtime(round.closes_at)
    assert closes.strftime("%d.%m.%Y, %H:%M") in german.body
    assert format_datetime(round.closes_at, language="en") in english.body
    for message in (german, english):
        match = resolve(urlsplit(_link(message.body)).path)
        assert (match.view_name, match.kwargs) == ("industry:round_detail", {"pk": round.pk})
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_round_opened_notice(round.pk)
        tasks.send_deadline_reminders()
    assert len(mail.outbox) == 2


def test_reminder_three_days_before_closing_once(
    make_round, member_a, django_capture_on_commit_callbacks
):
    round = make_round(closes_at=timezone.now() + datetime.timedelta(days=2, hours=23))
    DemandRound.objects.filter(pk=round.pk).update(opened_notice_sent_at=timezone.now())
    far = make_round(closes_at=timezone.now() + datetime.timedelta(days=5))
    DemandRound.objects.filter(pk=far.pk).update(opened_notice_sent_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.send_deadline_reminders()
    assert result["reminded"] == [round.pk]
    assert [m.to for m in mail.outbox] == [[member_a.email]]
    assert mail.outbox[0].subject == f"[Rohstoff] Noch drei Tage: {round.title}"
    assert f"/rounds/{round.pk}/" in _link(mail.outbox[0].body)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_deadline_reminders()["reminded"] == []
    assert len(mail.outbox) == 1


def test_a_round_notice_rolled_back_with_its_claim_sends_nothing(
    make_round, member_a, monkeypatch, django_capture_on_commit_callbacks
):
    """The claim and the queued mails commit together: when queueing fails, the notice stays
    due (the next beat run sends it) and nothing half-sent remains."""
    round = make_round()
    DemandRound.objects.filter(pk=round.pk).update(opened_notice_sent_at=None)
    mail.outbox.clear()

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(tasks, "mail_enqueue", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        tasks.send_round_opened_notice(round.pk)
    assert DemandRound.objects.get(pk=round.pk).opened_notice_sent_at is None
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_round_opened_notice(round.pk) == 1
    assert [m.to for m in mail.outbox] == [[member_a.email]]


def test_default_terms_are_in_the_platforms_language(make_round):
    round = make_round(state="draft")  # created while English is active
    assert round.terms.startswith("1. Vertraulichkeit")
    own = make_round(state="draft", terms="Unsere eigenen Bedingungen.")
    assert own.terms == "Unsere eigenen Bedingungen."


def test_mails_are_plain_text_not_html_escaped(
    make_round, member_a, desk, django_capture_on_commit_callbacks
):
    title = 'Lithium & Graphit "2027" <Los 1>'
    round = make_round(state="draft", title=title)
    with django_capture_on_commit_callbacks(execute=True):
        round_services.round_open(round=round, actor=desk)
    opened = mail.outbox[-1]
    assert title in opened.subject and title in opened.body
    assert "&amp;" not in opened.body + opened.subject and "&quot;" not in opened.body
    DemandRound.objects.filter(pk=round.pk).update(
        closes_at=timezone.now() + datetime.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_deadline_reminders()
    reminder = mail.outbox[-1]
    assert "Noch drei Tage" in reminder.subject
    assert title in reminder.subject and title in reminder.body


def test_a_withdrawn_line_is_not_excluded(login, open_round, line_a, member_a, desk, enter):
    """The screening page offers no exclusion for a withdrawn line and the API answers 404; a
    direct POST must not exclude it either (re-entered later, it would come back excluded)."""
    line_services.line_withdraw(line=line_a, actor=member_a)
    with pytest.raises(StateConflict):
        line_services.line_exclude(line=line_a, actor=desk, reason="zu hoch")
    login(desk).post(
        f"/rounds/{open_round.pk}/screening/{line_a.pk}/exclude/", {"reason": "zu hoch"}
    )
    again, _ = enter(open_round, member_a)
    assert again.pk == line_a.pk and not again.excluded


def test_trailing_zeros_are_not_decimal_places(open_round, member_a, enter):
    """As in a demand file: 40.0000000 is 40, not a number with seven decimal places."""
    line, _ = enter(open_round, member_a, quantity="40.0000000")
    assert line.quantity == Decimal("40") and line.quantity_t == Decimal("40")
    with pytest.raises(ValidationError):
        enter(open_round, member_a, quantity="40.0000001")
