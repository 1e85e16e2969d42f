"""Stockpile movements and the four-eyes release (docs/stockpile.md, docs/four-eyes.md): the
author cannot approve, an analyst cannot, one approver twice counts once, a change voids the
approvals, two different approvers other than the author book the release; every step is in
the audit log."""

from decimal import Decimal

import pytest

from agency.models import Holding, Movement
from agency.stockpile import services
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.models import AuditEvent


def holding(location, material):
    return Holding.objects.get(location=location, material=material).quantity_t


def test_purchase_and_rotation_change_the_holding(analyst, location, lioh, stock):
    stock(lioh, "100")
    assert holding(location, lioh) == Decimal("100")
    services.rotation_book(
        actor=analyst,
        location=location,
        material=lioh,
        quantity_t="30",
        replacement_t="32.5",
        reason="Rotation",
    )
    assert holding(location, lioh) == Decimal("102.5")
    with pytest.raises(ValidationError):  # less in than out is a release
        services.rotation_book(
            actor=analyst,
            location=location,
            material=lioh,
            quantity_t="30",
            replacement_t="29",
            reason="x",
        )
    for bad in ("0", "-1", "abc", "1e9", "0.0000001", "NaN"):
        with pytest.raises(ValidationError):
            services.purchase_book(
                actor=analyst, location=location, material=lioh, quantity_t=bad, reason="x"
            )
    assert holding(location, lioh) == Decimal("102.5")
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("stockpile.purchase.book") == 1
    assert actions.count("stockpile.rotation.book") == 1


def test_only_the_agency_books(desk, ministry, location, lioh):
    for user in (desk, ministry):
        with pytest.raises(StateConflict):
            services.purchase_book(
                actor=user, location=location, material=lioh, quantity_t="1", reason="x"
            )


@pytest.fixture
def release(analyst, location, lioh, stock):
    stock(lioh, "100")
    return services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="40", reason="Engpass"
    )


def test_four_eyes_release(analyst, approver, approver2, approver3, location, lioh, release):
    assert holding(location, lioh) == Decimal("100")  # nothing leaves before the approvals
    with pytest.raises(StateConflict):  # an analyst never approves
        services.release_approve(release=release, actor=analyst)
    services.release_approve(release=release, actor=approver)
    with pytest.raises(StateConflict):  # the same approver twice counts once
        services.release_approve(release=release, actor=approver)
    release.refresh_from_db()
    assert release.state == "in_review"

    # A change voids the approval given so far: two fresh approvals are needed.
    services.release_change(release=release, actor=analyst, quantity_t="50")
    release.refresh_from_db()
    assert release.revision == 2
    with pytest.raises(StateConflict):  # an approver who read the old version
        services.release_approve(release=release, actor=approver2, revision=1)
    services.release_approve(release=release, actor=approver2, revision=2)
    release.refresh_from_db()
    assert release.state == "in_review"
    services.release_approve(release=release, actor=approver3, revision=2)
    release.refresh_from_db()
    assert release.state == "booked" and release.booked_at is not None
    assert holding(location, lioh) == Decimal("50")
    assert release.holding_after_t == Decimal("50")
    with pytest.raises(StateConflict):  # booked: no further decision or change
        services.release_approve(release=release, actor=approver)
    with pytest.raises(StateConflict):
        services.release_change(release=release, actor=analyst, quantity_t="1")

    actions = list(
        AuditEvent.objects.filter(object_id=str(release.pk), action__startswith="stockpile.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "stockpile.release.propose",
        "stockpile.release.approve",
        "stockpile.release.approvals_voided",
        "stockpile.release.update",
        "stockpile.release.approve",
        "stockpile.release.approve",
        "stockpile.release.book",
    ]


def test_the_author_cannot_approve(approver, approver2, location, lioh, stock):
    stock(lioh, "100")
    own = services.release_propose(
        actor=approver, location=location, material=lioh, quantity_t="10", reason="x"
    )
    with pytest.raises(StateConflict):
        services.release_approve(release=own, actor=approver)
    services.release_approve(release=own, actor=approver2)
    assert Movement.objects.get(pk=own.pk).state == "in_review"


def test_an_approver_without_second_factor_is_refused(make_user, make_org, release):
    bare = make_user("agency_approver", org=make_org("Agentur", "agency"), mfa=False)
    with pytest.raises(StateConflict):
        services.release_approve(release=release, actor=bare)


def test_reject_and_withdraw(analyst, approver, location, lioh, release, stock):
    with pytest.raises(ValidationError):
        services.release_reject(release=release, actor=approver, reason=" ")
    services.release_reject(release=release, actor=approver, reason="Nicht nötig")
    release.refresh_from_db()
    assert (release.state, release.decision_reason) == ("rejected", "Nicht nötig")
    other = services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="5", reason="x"
    )
    services.release_withdraw(release=other, actor=analyst, reason="doppelt")
    assert Movement.objects.get(pk=other.pk).state == "withdrawn"
    assert holding(location, lioh) == Decimal("100")


def test_a_release_larger_than_the_holding(analyst, approver, approver2, location, lioh, release):
    with pytest.raises(ValidationError):
        services.release_propose(
            actor=analyst, location=location, material=lioh, quantity_t="101", reason="x"
        )
    # The holding shrank (another release) before the second approval: refused, nothing booked.
    second = services.release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="70", reason="y"
    )
    services.release_approve(release=second, actor=approver)
    services.release_approve(release=second, actor=approver2)
    services.release_approve(release=release, actor=approver)
    with pytest.raises(StateConflict):
        services.release_approve(release=release, actor=approver2)
    release.refresh_from_db()
    assert release.state == "in_review" and holding(location, lioh) == Decimal("30")
