"""Which quarters of an approved stake need a monitoring report, and which are overdue
(docs/portfolio.md). Pure functions of dates."""

from __future__ import annotations

import datetime

from django.utils import timezone

from rohstoff.core.periods import Quarter

from .models import report_due_on


def quarter_of(day: datetime.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def first_quarter(stake) -> Quarter:
    """Reports start with the quarter in which the stake was approved."""
    moment = stake.decided_at or stake.stage_changed_at
    return quarter_of(timezone.localdate(moment))


def reportable(stake, quarter: Quarter, today: datetime.date) -> bool:
    """A report may be written for the approval's quarter up to the current one."""
    return first_quarter(stake).index <= quarter.index <= quarter_of(today).index


def overdue_quarters(stake, today: datetime.date) -> list[Quarter]:
    """Quarters from the approval's on whose report's due day has passed (whatever was
    delivered: the caller leaves out the submitted ones)."""
    quarters = []
    q = first_quarter(stake)
    while report_due_on(q) < today:
        quarters.append(q)
        q = q + 1
    return quarters
