"""Celery tasks of offtake contracts. Safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="contracts.tasks.flag_deliveries")
def flag_deliveries() -> dict:
    """Daily (beat): flag late and short scheduled quarters and e-mail the desk about new ones;
    shares not answered by their deadline count as confirmed and their allocation closes."""
    flags = services.deliveries_flag()
    deemed = services.allocations_deem_confirmed()
    return {"flagged": len(flags), "deemed_confirmed": deemed}
