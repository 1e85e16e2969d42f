"""Two approvers approve one release at the same moment, and two releases draw on one holding
at once (PostgreSQL, real transactions, row locks): the holding never goes below zero and a
release is booked once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    barrier, errors, results = threading.Barrier(len(calls)), [], []

    def run(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


def test_three_approvers_at_once_book_once(
    analyst, approver, approver2, approver3, location, lioh, stock
):
    from agency.four_eyes.services import current_approvals
    from agency.models import Holding, Movement
    from agency.stockpile import services
    from rohstoff.core.errors import StateConflict

    stock(lioh, "100")
    release = services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="40", reason="x"
    )
    services.release_approve(release=release, actor=approver)
    results, errors = run_together(
        lambda: services.release_approve(release=release, actor=approver2),
        lambda: services.release_approve(release=release, actor=approver3),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], StateConflict)
    release = Movement.objects.get(pk=release.pk)
    assert release.state == "booked" and current_approvals(release).count() == 2
    assert Holding.objects.get(location=location, material=lioh).quantity_t == Decimal("60")


def test_two_releases_on_one_holding(
    analyst, approver, approver2, approver3, location, lioh, stock
):
    from agency.models import Holding, Movement
    from agency.stockpile import services

    stock(lioh, "100")
    a = services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="60", reason="a"
    )
    b = services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="60", reason="b"
    )
    services.release_approve(release=a, actor=approver)
    services.release_approve(release=b, actor=approver)
    results, errors = run_together(
        lambda: services.release_approve(release=a, actor=approver2),
        lambda: services.release_approve(release=b, actor=approver3),
    )
    assert len(results) == 1 and len(errors) == 1
    assert Holding.objects.get(location=location, material=lioh).quantity_t == Decimal("40")
    assert sorted(Movement.objects.filter(kind="release").values_list("state", flat=True)) == [
        "booked",
        "in_review",
    ]
