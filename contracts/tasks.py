"""Celery tasks of offtake contracts. Safe to run twice."""

from celery import shared_task

from .allocations import services as allocation_services
from .deliveries import services as delivery_services


@shared_task(name="contracts.tasks.flag_deliveries")
def flag_deliveries() -> dict:
    """Daily (beat): flag late and short scheduled quarters and e-mail the desk about new ones."""
    return {"flagged": len(delivery_services.deliveries_flag())}


@shared_task(name="contracts.tasks.close_due_allocations")
def close_due_allocations() -> dict:
    """Hourly (beat): shares not answered by their deadline count as confirmed (the round's terms
    commit firm demand) and their allocation closes."""
    return {"deemed_confirmed": allocation_services.allocations_deem_confirmed()}
