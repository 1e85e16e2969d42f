"""Writes of monitoring reports and the overdue check (docs/portfolio.md). Keyword-only, atomic,
audit-logged; ``ValidationError`` for bad input (400), ``StateConflict`` when the stake's state
forbids the report (409)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.mail import absolute_url, mail_enqueue
from rohstoff.core.periods import Quarter

from .. import policy
from ..stakes.models import ProposalStage, StakeProposal
from . import rules
from .models import CovenantStatus, MonitoringReport, OverdueFlag, Rating, report_due_on

FIELDS = [
    "quarter",
    "production_t",
    "milestones",
    "covenant_status",
    "rating",
    "rating_reason",
    "submitted_at",
]
TEXT_MAX = 10000


@transaction.atomic
def report_save(
    *,
    actor,
    stake: StakeProposal,
    quarter: Quarter,
    covenant_status: str,
    rating: str,
    rating_reason: str,
    production_t: Decimal | None = None,
    milestones: str = "",
    submit: bool = True,
    today: datetime.date | None = None,
) -> MonitoringReport:
    """Write (or rewrite) the stake's report for ``quarter``. A submitted report counts as
    delivered; a change to it keeps it submitted. Locks the stake, so two analysts writing the
    same quarter at once give one report."""
    if not policy.is_agency(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    stake = StakeProposal.objects.select_for_update().get(pk=stake.pk)
    if stake.stage != ProposalStage.APPROVED:
        raise StateConflict(_("Only an approved stake has monitoring reports."))
    if not rules.reportable(stake, quarter, today):
        raise ValidationError(
            {
                "quarter": _(
                    "Choose a quarter from %(first)s (when the stake was approved) to the "
                    "current one."
                )
                % {"first": rules.first_quarter(stake)}
            }
        )
    if covenant_status not in CovenantStatus.values:
        raise ValidationError({"covenant_status": _("Choose a covenant status.")})
    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose red, amber or green.")})
    rating_reason, milestones = rating_reason.strip(), milestones.strip()
    if not rating_reason:
        raise ValidationError({"rating_reason": _("Give the reason for the rating.")})
    if len(rating_reason) > TEXT_MAX or len(milestones) > TEXT_MAX:
        raise ValidationError({"milestones": _("A text has at most 10,000 characters.")})
    if production_t is not None and production_t < 0:
        raise ValidationError({"production_t": _("Production cannot be negative.")})
    report = MonitoringReport.objects.filter(stake=stake, quarter=quarter.index).first()
    before = snapshot(report, FIELDS) if report else None
    report = report or MonitoringReport(stake=stake, quarter=quarter.index, author=actor)
    report.production_t = production_t
    report.milestones = milestones
    report.covenant_status = covenant_status
    report.rating = rating
    report.rating_reason = rating_reason
    if submit and report.submitted_at is None:
        report.submitted_at = timezone.now()
    report.full_clean()
    report.save()
    report.refresh_from_db()
    after = snapshot(report, FIELDS)
    if before != after:
        audit_record(
            actor=actor,
            action="monitoring_report.update" if before else "monitoring_report.create",
            obj=report,
            before=before,
            after=after,
        )
    return report


def reports_flag_overdue(*, today: datetime.date | None = None) -> list[OverdueFlag]:
    """Flag every quarter of an approved stake whose report is past its due day and not
    submitted, and mail each stake's analyst (the proposal's author) once about its new flags.
    Safe to run twice: a flag exists once per stake and quarter and is mailed once; a flag whose
    report has since been submitted is removed."""
    today = today or timezone.localdate()
    new_flags: list[OverdueFlag] = []
    with transaction.atomic():
        stakes = list(
            StakeProposal.objects.select_for_update(of=("self",))
            .filter(stage=ProposalStage.APPROVED)
            .select_related("project", "author")
            .order_by("pk")
        )
        submitted = set(
            MonitoringReport.objects.filter(
                stake__in=stakes, submitted_at__isnull=False
            ).values_list("stake_id", "quarter")
        )
        flags = {(f.stake_id, f.quarter): f for f in OverdueFlag.objects.filter(stake__in=stakes)}
        for key, flag in flags.items():
            if key in submitted:
                flag.delete()
        for stake in stakes:
            for quarter in rules.overdue_quarters(stake, today):
                key = (stake.pk, quarter.index)
                if key in submitted:
                    continue
                flag = flags.get(key)
                if flag is None:
                    flag = OverdueFlag.objects.create(
                        stake=stake, quarter=quarter.index, flagged_on=today
                    )
                if flag.notified_at is None:
                    flag.stake = stake
                    new_flags.append(flag)
        if new_flags:
            OverdueFlag.objects.filter(
                pk__in=[f.pk for f in new_flags], notified_at__isnull=True
            ).update(notified_at=timezone.now())
            by_author: dict[int, list[OverdueFlag]] = {}
            for flag in new_flags:
                by_author.setdefault(flag.stake.author_id, []).append(flag)
            for flags_of_author in by_author.values():
                author = flags_of_author[0].stake.author
                if not author.is_active:
                    continue
                mail_enqueue(
                    template="agency/email/monitoring_overdue",
                    to=[author],
                    context={
                        "items": [
                            {
                                "stake": f.stake,
                                "project": f.stake.project,
                                "quarter": str(Quarter.from_index(f.quarter)),
                                "due_on": report_due_on(Quarter.from_index(f.quarter)),
                                "url": absolute_url("agency:stake_monitoring", f.stake_id),
                            }
                            for f in flags_of_author
                        ],
                        "checked_on": today,
                    },
                )
    return new_flags
