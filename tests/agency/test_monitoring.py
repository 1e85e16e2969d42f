"""Quarterly monitoring reports of approved stakes: the service's rules, the page, the API, and
the beat task that flags overdue reports and mails the analyst once."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from agency.models import MonitoringReport, OverdueFlag
from agency.monitoring import services
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import AuditEvent
from rohstoff.core.periods import Quarter

APPROVED_ON = datetime.datetime(2026, 5, 10, 12, tzinfo=datetime.UTC)


@pytest.fixture
def stake(project, make_stake):
    return make_stake(project, decided_at=APPROVED_ON)


Q2_2026 = Quarter(2026, 2)


def _save(stake, actor, quarter=Q2_2026, today=datetime.date(2026, 8, 1), **extra):
    values = {
        "covenant_status": "met",
        "rating": "amber",
        "rating_reason": "Commissioning two months late.",
        "production_t": Decimal("1200.5"),
        "milestones": "First product shipped.",
    }
    values.update(extra)
    return services.report_save(actor=actor, stake=stake, quarter=quarter, today=today, **values)


def test_a_report_is_written_once_per_quarter_and_audited(stake, analyst):
    first = _save(stake, analyst)
    assert first.submitted_at is not None and first.rating == "amber"
    again = _save(stake, analyst, rating="red", rating_reason="Covenant test failed.")
    assert again.pk == first.pk and again.rating == "red"
    assert MonitoringReport.objects.count() == 1
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["monitoring_report.create", "monitoring_report.update"]


@pytest.mark.parametrize(
    "quarter, today",
    [
        (Quarter(2026, 1), datetime.date(2026, 8, 1)),  # before the approval's quarter
        (Quarter(2026, 4), datetime.date(2026, 8, 1)),  # a quarter still to come
    ],
)
def test_only_quarters_from_the_approval_to_now(stake, analyst, quarter, today):
    with pytest.raises(ValidationError):
        _save(stake, analyst, quarter=quarter, today=today)


def test_a_rating_needs_its_reason(stake, analyst):
    with pytest.raises(ValidationError):
        _save(stake, analyst, rating_reason="  ")


def test_a_proposal_in_review_has_no_reports(project, make_stake, analyst):
    proposal = make_stake(project, stage="committee")
    with pytest.raises(StateConflict):
        _save(proposal, analyst)


def test_overdue_reports_are_flagged_and_mailed_once(
    stake, analyst, django_capture_on_commit_callbacks
):
    # Q2 2026 is due 45 days after 30 June: 14 August.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_flag_overdue(today=datetime.date(2026, 8, 14)) == []
    with django_capture_on_commit_callbacks(execute=True):
        flags = services.reports_flag_overdue(today=datetime.date(2026, 8, 15))
    assert [(f.stake_id, Quarter.from_index(f.quarter)) for f in flags] == [
        (stake.pk, Quarter(2026, 2))
    ]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [analyst.email]
    body = mail.outbox[0].body
    assert stake.project.name in body and "2026-Q2" in body and "14.08.2026" in body
    assert settings.SITE_URL + f"/agency/stakes/{stake.pk}/monitoring/" in body
    assert mail.outbox[0].subject == "[Rohstoff] 1 Monitoring-Bericht überfällig"
    # Run again the same day and the next: no second mail.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_flag_overdue(today=datetime.date(2026, 8, 16)) == []
    assert len(mail.outbox) == 1
    # The report arrives: its flag goes away.
    _save(stake, analyst, today=datetime.date(2026, 8, 17))
    services.reports_flag_overdue(today=datetime.date(2026, 8, 18))
    assert not OverdueFlag.objects.exists()


def test_the_beat_task_is_scheduled_and_runs_the_check(stake, monkeypatch):
    from agency import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["flag-overdue-monitoring-reports"]
    assert entry["task"] == tasks.flag_overdue_reports.name
    calls = []
    monkeypatch.setattr(
        tasks.monitoring_services, "reports_flag_overdue", lambda: calls.append(1) or []
    )
    assert tasks.flag_overdue_reports.delay().get() == {"flagged": 0}
    assert calls == [1]


def test_monitoring_page(login, analyst, stake):
    client = login(analyst)
    client.cookies["django_language"] = "de"
    page = client.get(f"/agency/stakes/{stake.pk}/monitoring/")
    assert page.status_code == 200
    assert "überfällig" in page.content.decode()  # every quarter since May 2026 is overdue
    quarter = str(Quarter(2026, 2))
    response = client.post(
        f"/agency/stakes/{stake.pk}/monitoring/",
        {
            "quarter": quarter,
            "production_t": "1.200,5",
            "milestones": "Erste Lieferung.",
            "covenant_status": "met",
            "rating": "green",
            "rating_reason": "Im Plan.",
        },
    )
    assert response.status_code == 302
    report = MonitoringReport.objects.get()
    assert report.production_t == Decimal("1200.5") and report.rating == "green"
    page = client.get(f"/agency/stakes/{stake.pk}/monitoring/?quarter={quarter}").content.decode()
    assert "Im Plan." in page and "1.200,5" in page


def test_monitoring_page_refuses_a_future_quarter(login, analyst, stake):
    future = Quarter(timezone.localdate().year + 1, 1)
    response = login(analyst).post(
        f"/agency/stakes/{stake.pk}/monitoring/",
        {
            "quarter": str(future),
            "covenant_status": "met",
            "rating": "green",
            "rating_reason": "x",
        },
    )
    assert response.status_code == 200 and "quarter" in response.context["form"].errors
    assert not MonitoringReport.objects.exists()


def test_monitoring_is_the_agencys_only(login, api, member_a, desk, ministry, stake, project):
    proposal_in_review = pytest.importorskip("agency.models").StakeProposal.objects.create(
        project=project, instrument="exploration_funding", amount=Decimal("1"), author=stake.author
    )
    assert login(member_a).get(f"/agency/stakes/{stake.pk}/monitoring/").status_code == 404
    for user in (desk, ministry):
        assert login(user).get(f"/agency/stakes/{stake.pk}/monitoring/").status_code == 403
        assert api(user).get("/api/v1/agency/monitoring-reports/").status_code == 403
    assert api(member_a).get("/api/v1/agency/monitoring-reports/").status_code == 404
    assert (
        api(stake.author)
        .post(
            "/api/v1/agency/monitoring-reports/",
            {
                "stake": proposal_in_review.pk,
                "period": "2026-Q2",
                "covenant_status": "met",
                "rating": "green",
                "rating_reason": "x",
            },
            format="json",
        )
        .status_code
        == 404
    )


def test_monitoring_api(api, analyst, stake):
    client = api(analyst)
    response = client.post(
        "/api/v1/agency/monitoring-reports/",
        {
            "stake": stake.pk,
            "period": "2026-Q2",
            "production_t": "1200.5",
            "covenant_status": "waived",
            "rating": "amber",
            "rating_reason": "Covenant waived for ramp-up.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["period"] == "2026-Q2" and body["production_t"] == "1200.500000"
    assert body["due_on"] == "2026-08-14"
    listing = client.get(f"/api/v1/agency/monitoring-reports/?stake={stake.pk}").json()
    assert [r["id"] for r in listing["results"]] == [body["id"]]
    assert client.get(f"/api/v1/agency/monitoring-reports/{body['id']}/").status_code == 200
    bad = client.post(
        "/api/v1/agency/monitoring-reports/",
        {"stake": stake.pk, "period": "2026-Q2", "covenant_status": "met", "rating": "purple"},
        format="json",
    )
    assert bad.status_code == 400 and {"rating", "rating_reason"} <= set(bad.json())
    assert MonitoringReport.objects.count() == 1
