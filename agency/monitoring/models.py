"""Quarterly monitoring reports of approved stakes: production, milestones, covenant status and a
red/amber/green rating with its reason (docs/stakes.md). A quarter's report is due
``REPORT_DUE_DAYS`` days after the quarter ends."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rohstoff.core.periods import Quarter

from ..projects.models import T
from ..stakes.models import StakeProposal

REPORT_DUE_DAYS = 45


def quarter_end(quarter: Quarter) -> datetime.date:
    first_of_next = Quarter.from_index(quarter.index + 1)
    return datetime.date(first_of_next.year, 3 * first_of_next.quarter - 2, 1) - datetime.timedelta(
        days=1
    )


def report_due_on(quarter: Quarter) -> datetime.date:
    """The day a quarter's monitoring report is due: REPORT_DUE_DAYS after the quarter ends."""
    return quarter_end(quarter) + datetime.timedelta(days=REPORT_DUE_DAYS)


class CovenantStatus(models.TextChoices):
    MET = "met", _("all covenants met")
    WAIVED = "waived", _("breach waived")
    BREACHED = "breached", _("covenant breached")
    NOT_TESTED = "not_tested", _("not tested this quarter")


class Rating(models.TextChoices):
    GREEN = "green", _("green")
    AMBER = "amber", _("amber")
    RED = "red", _("red")


class MonitoringReport(models.Model):
    stake = models.ForeignKey(
        StakeProposal,
        verbose_name=_("stake"),
        on_delete=models.PROTECT,
        related_name="monitoring_reports",
    )
    quarter = models.PositiveIntegerField(_("quarter"))  # Quarter.index
    production_t = models.DecimalField(_("production (t)"), **T, null=True, blank=True)
    milestones = models.TextField(_("milestones"), blank=True, max_length=10000)
    covenant_status = models.CharField(
        _("covenant status"), max_length=12, choices=CovenantStatus.choices
    )
    rating = models.CharField(_("rating"), max_length=6, choices=Rating.choices)
    rating_reason = models.TextField(_("reason for the rating"), max_length=10000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # None while the analyst is still writing it; the report counts as delivered once submitted.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["stake", "-quarter"]
        verbose_name = _("monitoring report")
        verbose_name_plural = _("monitoring reports")
        constraints = [
            models.UniqueConstraint(fields=["stake", "quarter"], name="one_report_per_quarter"),
            models.CheckConstraint(
                condition=Q(production_t__isnull=True) | Q(production_t__gte=0),
                name="report_production_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.stake_id} {self.period}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)

    @property
    def due_on(self) -> datetime.date:
        return report_due_on(self.period)


class OverdueFlag(models.Model):
    """A quarter whose report was found overdue, and when the analyst was told (so the beat task
    mails once per stake and quarter, however often it runs)."""

    stake = models.ForeignKey(StakeProposal, on_delete=models.CASCADE, related_name="+")
    quarter = models.PositiveIntegerField()
    flagged_on = models.DateField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stake", "quarter"], name="one_overdue_flag_per_quarter"
            )
        ]

    def __str__(self):
        return f"{self.stake_id} {Quarter.from_index(self.quarter)} overdue"
