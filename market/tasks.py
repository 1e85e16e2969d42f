"""Celery tasks of the market. They take ids and are safe to run twice."""

from celery import shared_task

from rohstoff.core.errors import StateConflict

from . import runs


@shared_task(name="market.tasks.match_call")
def match_call(call_id: int) -> dict:
    """Match one call after its deadline (a call matched already keeps its run)."""
    try:
        run = runs.match_run(call_id=call_id)
    except StateConflict:
        return {"call": call_id, "run": None}
    return {"call": call_id, "run": run.pk}


@shared_task(name="market.tasks.match_due_calls")
def match_due_calls() -> dict:
    """Every few minutes (beat): match the calls whose deadline has passed."""
    done = [match_call(call.pk)["run"] for call in runs.due_calls().only("pk")]
    return {"matched": len([r for r in done if r])}
