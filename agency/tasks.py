"""Celery tasks of the agency. Safe to run twice."""

from celery import shared_task

from .monitoring import services as monitoring_services


@shared_task(name="agency.tasks.flag_overdue_reports")
def flag_overdue_reports() -> dict:
    """Daily (beat): flag approved stakes' quarterly reports past their due day and mail each
    stake's analyst once about them (docs/portfolio.md)."""
    return {"flagged": len(monitoring_services.reports_flag_overdue())}
