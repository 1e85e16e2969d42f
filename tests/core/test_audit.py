"""The audit log: services write the events, each carries the hash of the one before it, the
database refuses UPDATE and DELETE, the integrity check finds the first broken or missing event,
and staff read it (page and read-only admin)."""

import pytest
from django.db import DatabaseError, connection, transaction

from rohstoff.core.audit import GENESIS_HASH, audit_check, audit_record, audit_verify, event_hash
from rohstoff.core.models import AuditCheckpoint, AuditEvent, AuditHead, Job
from rohstoff.core.services import (
    api_token_create,
    api_token_revoke,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    user_create,
    user_deactivate,
)

TRIGGER = "core_auditevent_append_only"


def tamper(sql, params=()):
    """Change the audit table behind the application's back, as an intruder with database access
    would: the append-only trigger is switched off for the statement (inside the test's
    transaction, so nothing survives the test)."""
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; ALTER TABLE needs their checks done first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE core_auditevent DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE core_auditevent ENABLE TRIGGER {TRIGGER}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def events(db, staff):
    """Five events in the chain."""
    return [
        audit_record(
            actor=staff,
            action=f"test.step{i}",
            object_type="test.thing",
            object_id=i,
            before={"n": i - 1},
            after={"n": i},
        )
        for i in range(1, 6)
    ]


# ---- services write events -------------------------------------------------------------------


def test_the_foundations_services_write_audit_events(staff, member_admin_a, firm_a):
    colleague = user_create(
        email="Colleague@Firm-A.example", organisation=firm_a, role="member", actor=member_admin_a
    )
    token, _key = api_token_create(user=colleague, name="ERP")
    api_token_revoke(token=token, actor=member_admin_a)
    invitation, link = invitation_create(
        actor=member_admin_a, email="new@firm-a.example", organisation=firm_a, role="member"
    )
    invitation_revoke(invitation=invitation, actor=member_admin_a)
    _again, link = invitation_create(
        actor=member_admin_a, email="new2@firm-a.example", organisation=firm_a, role="member"
    )
    invitation_accept(
        key=link.rstrip("/").rsplit("/", 1)[1], password="a-long-and-private-passphrase"
    )
    user_deactivate(user=colleague, actor=member_admin_a)

    log = list(
        AuditEvent.objects.order_by("seq").values_list("action", "actor__email", "organisation_id")
    )
    actions = [action for action, _actor, _org in log]
    assert actions[-9:] == [
        "user.create",
        "api_token.create",
        "api_token.revoke",
        "invitation.create",
        "invitation.revoke",
        "invitation.create",
        "user.create",
        "invitation.accept",
        "user.deactivate",
    ]
    assert all(org == firm_a.pk for _action, _actor, org in log[-9:])
    created = AuditEvent.objects.filter(action="user.create").order_by("seq").first()
    assert created.after == {
        "email": "colleague@firm-a.example",
        "organisation": firm_a.pk,
        "role": "member",
        "is_staff": False,
    }
    assert created.actor == member_admin_a and created.object_id == str(colleague.pk)
    removed = AuditEvent.objects.get(action="user.deactivate")
    assert (removed.before, removed.after) == ({"is_active": True}, {"is_active": False})


def test_audit_values_are_json_safe_and_decimals_stay_exact(staff):
    from decimal import Decimal

    event = audit_record(
        actor=staff,
        action="test.decimal",
        object_type="test.thing",
        object_id=1,
        after={"quantity_t": Decimal("1500.500000")},
    )
    event.refresh_from_db()
    assert event.after == {"quantity_t": "1500.500000"}


# ---- the hash chain --------------------------------------------------------------------------


def test_each_event_carries_the_hash_of_the_one_before(events):
    chain = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS_HASH
    for before, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == before.hash
    assert all(event_hash(e) == e.hash for e in chain)


def test_an_intact_chain_verifies(events):
    result = audit_verify()
    assert result.ok and result.checked == 5 and result.head_seq == 5


def test_an_altered_event_is_found(events):
    tamper("UPDATE core_auditevent SET after = %s WHERE seq = 3", ['{"n": 999}'])
    result = audit_verify()
    assert not result.ok and result.problem_seq == 3
    assert result.problem == "Event #3 was altered after it was written."


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_chain_after_it(events):
    forged = AuditEvent.objects.get(seq=3)
    forged.after = {"n": 999}
    tamper(
        "UPDATE core_auditevent SET after = %s, hash = %s WHERE seq = 3",
        ['{"n": 999}', event_hash(forged)],
    )
    result = audit_verify()
    assert not result.ok and result.problem_seq == 4
    assert "does not follow event #3" in result.problem


def test_a_removed_event_is_found(events):
    tamper("DELETE FROM core_auditevent WHERE seq = 2")
    result = audit_verify()
    assert not result.ok and result.problem_seq == 2
    assert result.problem == "Event #2 is missing (next present: #3)."


def test_a_removed_tail_is_found_against_the_last_check(events):
    checkpoint = audit_verify().as_dict()
    tamper("DELETE FROM core_auditevent WHERE seq >= 4")
    result = audit_verify(checkpoint=checkpoint)
    assert not result.ok and result.problem == "Events #4 to #5 were removed since the last check."


def test_a_removed_tail_is_found_against_the_head_its_newest_event_recorded(events):
    tamper("DELETE FROM core_auditevent WHERE seq >= 4")
    result = audit_verify()  # no earlier check: the recorded head is enough
    assert not result.ok and result.problem_code == "newest_removed"
    assert (result.problem_seq, result.problem_last_seq) == (4, 5)
    assert result.problem == "Events #4 to #5, the newest written, were removed."


def test_newest_events_removed_after_the_last_check_are_found_and_each_head_published(
    events, staff, settings, caplog, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.AUDIT_EMAIL = "audit-archive@rohstoff.example"
    with django_capture_on_commit_callbacks(execute=True):
        first = audit_check()
    assert first.ok and first.head_seq == 5
    for i in range(6, 9):  # written after that check ...
        audit_record(actor=staff, action="test.later", object_type="test.thing", object_id=i)
    tamper("DELETE FROM core_auditevent WHERE seq >= 6")  # ... and removed before the next one
    with django_capture_on_commit_callbacks(execute=True):
        second = audit_check()
    assert not second.ok and second.problem_code == "newest_removed"
    assert (second.problem_seq, second.problem_last_seq) == (6, 8)
    # Each check kept and published the head it verified: in the log and in the audit mailbox.
    assert list(AuditCheckpoint.objects.order_by("pk").values_list("ok", "head_seq")) == [
        (True, 5),
        (False, 5),
    ]
    archive = [m for m in mail.outbox if m.to == ["audit-archive@rohstoff.example"]]
    assert len(archive) == 2
    head_5 = AuditEvent.objects.get(seq=5).hash
    assert f"#5 sha256:{head_5}" in archive[0].body and "intact" in archive[0].body
    assert "FAILED" in archive[1].subject and "#6 to #8" in archive[1].body
    assert f"#5 sha256:{head_5}" in caplog.text


def test_the_newest_event_rewritten_with_a_fresh_hash_is_found(events):
    forged = AuditEvent.objects.get(seq=5)
    forged.after = {"n": 999}
    tamper(
        "UPDATE core_auditevent SET after = %s, hash = %s WHERE seq = 5",
        ['{"n": 999}', event_hash(forged)],
    )
    result = audit_verify()
    assert not result.ok and (result.problem_code, result.problem_seq) == ("head_mismatch", 5)


def test_a_removed_head_record_is_reported(events):
    AuditHead.objects.all().delete()
    result = audit_verify()
    assert not result.ok and result.problem_code == "head_missing"


def test_an_empty_log_verifies(db):
    assert audit_verify().ok and audit_check().ok


def test_a_removed_and_regrown_tail_is_found_against_the_last_check(events, staff):
    checkpoint = audit_verify().as_dict()
    tamper("DELETE FROM core_auditevent WHERE seq >= 4")
    for i in range(2):
        audit_record(actor=staff, action="test.regrown", object_type="test.thing", object_id=i)
    result = audit_verify(checkpoint=checkpoint)
    assert not result.ok and result.problem == "Event #5 differs from what the last check saw."


# ---- the database refuses changes ------------------------------------------------------------


def test_postgresql_refuses_update_and_delete_of_audit_events(events):
    assert connection.vendor == "postgresql", "the append-only trigger exists on PostgreSQL"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=5).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditevent SET after = NULL")
    assert AuditEvent.objects.count() == 5
    assert AuditEvent.objects.get(seq=1).action == "test.step1"


def test_postgresql_refuses_update_and_delete_of_checkpoints(events):
    audit_check()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditCheckpoint.objects.update(head_seq=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditCheckpoint.objects.all().delete()
    assert AuditCheckpoint.objects.get().head_seq == 5


# ---- reading it ------------------------------------------------------------------------------


def test_staff_read_the_audit_log_with_search_and_filter(login, staff, events, firm_a):
    audit_record(
        actor=staff,
        action="organisation.rename",
        obj=firm_a,
        before={"name": "Old"},
        after={"name": "New"},
    )
    client = login(staff)
    page = client.get("/audit/")
    assert page.status_code == 200
    assert [e.seq for e in page.context["page"]] == [6, 5, 4, 3, 2, 1]  # newest first
    assert [e.seq for e in client.get("/audit/?q=rename").context["page"]] == [6]
    assert [e.seq for e in client.get("/audit/?type=core.organisation").context["page"]] == [6]
    assert "core.organisation" in page.context["object_types"]
    assert "&quot;name&quot;: &quot;New&quot;" in page.content.decode()


@pytest.fixture
def line_event(staff, member_a, firm_a):
    """A member's change to a demand line, as the demand service records it."""
    return audit_record(
        actor=member_a,
        action="demand_line.update",
        obj=firm_a,  # any object: its text stands for the line's "lithium-hydroxide 2027 1500 t"
        object_type="industry.demandline",
        object_id=4711,
        before={"quantity": "1500.000000", "quantity_t": "1500.000000"},
        after={"quantity": "2750.500000", "quantity_t": "2750.500000"},
    )


def test_staff_see_that_a_demand_line_changed_but_not_its_figures(login, staff, line_event):
    page = login(staff).get("/audit/?type=industry.demandline")
    html = page.content.decode()
    [shown] = page.context["page"]
    assert shown.seq == line_event.seq and shown.withheld
    assert "demand_line.update" in html and "4711" in html and "buyer@firm-a.example" in html
    assert "1500" not in html and "2750" not in html and "Firm A GmbH</td>" not in html
    assert line_event.hash not in html
    assert "nur die Firma und der Handelstisch" in html
    # Nor can a search for a figure find the line.
    assert not login(staff).get("/audit/?q=GmbH").context["page"].object_list


def test_the_admin_withholds_a_demand_lines_figures_too(login, staff, line_event, firm_a):
    client = login(staff)
    detail = client.get(f"/admin/core/auditevent/{line_event.pk}/change/").content.decode()
    assert "demand_line.update" in detail and "4711" in detail
    assert "2750" not in detail and "1500" not in detail and line_event.hash not in detail
    assert not client.get("/admin/core/auditevent/?q=GmbH").context["cl"].result_list
    other = audit_record(actor=staff, action="organisation.rename", obj=firm_a, after={"n": 1})
    found = client.get("/admin/core/auditevent/?q=GmbH").context["cl"].result_list
    assert [e.pk for e in found] == [other.pk]


def test_the_audit_log_pages_keep_their_filter(login, staff):
    for i in range(120):
        audit_record(actor=staff, action="test.many", object_type="test.thing", object_id=i)
    page = login(staff).get("/audit/?q=many&page=2")
    assert page.context["page"].number == 2
    assert "?q=many&amp;page=3" in page.content.decode()


def test_only_staff_read_the_audit_log(login, member_admin_a, desk, analyst):
    for user in (member_admin_a, desk, analyst):
        assert login(user).get("/audit/").status_code == 403


def test_staff_start_an_integrity_check_and_see_its_result(
    login, staff, events, django_capture_on_commit_callbacks
):
    client = login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/audit/check/").status_code == 302
    job = Job.objects.get(kind="audit_integrity_check")
    assert job.state == "succeeded" and job.result["ok"] and job.result["checked"] == 5
    assert job.created_by == staff
    page = client.get("/audit/").content.decode()
    assert "5" in page and "alert--success" in page
    # The head it verified, to compare with the mails to the audit mailbox.
    assert AuditEvent.objects.get(seq=5).hash in page


def test_a_failed_check_is_shown_and_mailed_to_the_admins(
    login, staff, events, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.ADMINS = [("Ops", "ops@rohstoff.example")]
    tamper("UPDATE core_auditevent SET action = 'rewritten' WHERE seq = 2")
    with django_capture_on_commit_callbacks(execute=True):
        login(staff).post("/audit/check/")
    page = login(staff).get("/audit/").content.decode()
    assert "Ereignis Nr. 2 wurde nach dem Schreiben verändert." in page and "alert--error" in page
    to_admins = [m for m in mail.outbox if m.to == ["ops@rohstoff.example"]]
    assert len(to_admins) == 1 and "Event #2" in to_admins[0].body


def test_the_admin_shows_audit_events_read_only(login, staff, events):
    client = login(staff)
    event = AuditEvent.objects.get(seq=1)
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200  # view only
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.action == "test.step1"


def test_a_snapshot_stores_countries_as_their_iso_code(firm_a):
    from rohstoff.core.audit import snapshot

    assert snapshot(firm_a, ["name", "country"]) == {"name": "Firm A GmbH", "country": "DE"}
