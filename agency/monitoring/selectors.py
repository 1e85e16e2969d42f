"""Reads of monitoring reports, scoped by agency.policy (the agency only)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from rohstoff.core.periods import Quarter
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..stakes.models import StakeProposal
from . import rules
from .models import MonitoringReport, OverdueFlag


def stake_get(*, user, pk) -> StakeProposal:
    """An approved stake of the portfolio (the agency only), or 404."""
    return get_visible_or_404(
        policy.approved_stakes_visible_to(user).select_related(
            "project", "offtake_material", "author"
        ),
        pk=pk,
    )


def report_get(*, user, pk) -> MonitoringReport:
    return get_visible_or_404(
        policy.monitoring_reports_visible_to(user).select_related("stake", "stake__project"),
        pk=pk,
    )


def reports_of(*, user, stake: StakeProposal) -> QuerySet[MonitoringReport]:
    return (
        policy.monitoring_reports_visible_to(user)
        .filter(stake=stake)
        .select_related("author")
        .order_by("-quarter")
    )


def report_list(*, user, stake_id: int | None = None) -> QuerySet[MonitoringReport]:
    qs = policy.monitoring_reports_visible_to(user).select_related("stake", "author")
    if stake_id is not None:
        qs = qs.filter(stake_id=stake_id)
    return qs.order_by("stake_id", "-quarter")


def latest_reports(*, user, stakes) -> dict[int, MonitoringReport]:
    """The newest submitted report of each of ``stakes`` (one query)."""
    latest: dict[int, MonitoringReport] = {}
    for report in (
        policy.monitoring_reports_visible_to(user)
        .filter(stake__in=[s.pk for s in stakes], submitted_at__isnull=False)
        .order_by("stake_id", "-quarter")
    ):
        latest.setdefault(report.stake_id, report)
    return latest


def overdue_of(*, user, stake: StakeProposal, today: datetime.date | None = None) -> list[Quarter]:
    """Quarters of the stake whose report is past due and not submitted, as of today."""
    if not policy.is_agency(user):
        return []
    today = today or timezone.localdate()
    submitted = set(
        MonitoringReport.objects.filter(stake=stake, submitted_at__isnull=False).values_list(
            "quarter", flat=True
        )
    )
    return [q for q in rules.overdue_quarters(stake, today) if q.index not in submitted]


def flagged_count(*, user) -> int:
    if not policy.is_agency(user):
        return 0
    return OverdueFlag.objects.count()
