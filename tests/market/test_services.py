"""Offers, the deadline, the buyer-or-seller rule, matching, adjustments and draft contracts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rohstoff.core.errors import StateConflict

from .conftest import Q1, Q2, close

pytestmark = pytest.mark.django_db


def test_offer_saved_with_quarters(call, supplier, make_offer):
    offer = make_offer(supplier, call)
    assert offer.supplier_id == supplier.organisation_id
    assert {q.quarter: q.volume_t for q in offer.quarters.all()} == {
        Q1: Decimal("400"),
        Q2: Decimal("200"),
    }


def test_offer_rules(call, supplier, make_offer, li2co3):
    with pytest.raises(ValidationError) as exc:
        make_offer(supplier, call, minimum_t=Decimal("1000"))
    assert "minimum_t" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_offer(supplier, call, quarters={Q1 + 40: Decimal("5")})
    assert "quarters" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_offer(supplier, call, pricing_type="index", fixed_price=None)
    assert "index" in exc.value.message_dict  # the contracts' own pricing rule
    with pytest.raises(ValidationError):
        make_offer(supplier, call, quarters={Q1: Decimal("-3")})
    with pytest.raises(ValidationError) as exc:
        make_offer(supplier, call, floor=Decimal("20000"), cap=Decimal("18000"))
    assert "cap" in exc.value.message_dict or "floor" in exc.value.message_dict


def test_the_database_refuses_an_offer_floor_above_its_cap(call, supplier, make_offer):
    """The service's rule has a constraint behind it, as a contract's has."""
    from django.db import IntegrityError, transaction

    from market.models import Offer

    offer = make_offer(supplier, call, floor=Decimal("14000"), cap=Decimal("16000"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(floor=Decimal("17000"))
    offer.refresh_from_db()
    assert offer.floor == Decimal("14000")


def test_revise_and_withdraw_until_the_deadline(call, supplier, make_offer, offer_data):
    from market import services

    offer = make_offer(supplier, call)
    offer = services.offer_save(
        actor=supplier, call=call, offer=offer, quarters={Q1: Decimal("50")}, **offer_data()
    )
    assert offer.version == 2
    assert list(offer.quarters.values_list("quarter", flat=True)) == [Q1]
    close(call)
    with pytest.raises(StateConflict):
        services.offer_save(
            actor=supplier, call=call, offer=offer, quarters={Q1: Decimal("60")}, **offer_data()
        )
    with pytest.raises(StateConflict):
        services.offer_withdraw(actor=supplier, offer=offer)
    offer.refresh_from_db()
    assert offer.state == "active" and offer.version == 2


def test_withdraw_before_the_deadline(call, supplier, make_offer):
    from market import services

    offer = make_offer(supplier, call)
    assert services.offer_withdraw(actor=supplier, offer=offer).state == "withdrawn"


def test_buyer_or_seller(call, make_supplier, make_offer, firm_a, firm_b):
    """A supplier of the same group as a member firm with demand in the round cannot offer; one
    whose group firm has no demand there can."""
    grouped = make_supplier("Konzern Mining", "AU", member_group=firm_a)
    call.addressees.add(grouped.organisation)  # linked after the call opened
    with pytest.raises(
        ValidationError, match="either buyer or seller|entweder Käufer oder Verkäufer"
    ):
        make_offer(grouped, call)
    other = make_supplier("Other Mining", "AU", member_group=firm_b)
    call.addressees.add(other.organisation)
    assert make_offer(other, call).pk


def test_supplier_link_refuses_a_member_firm(desk, firm_a):
    from contracts.models import Counterparty
    from market import services

    cp = Counterparty.objects.create(name="X", kind="trader", country="DE")
    with pytest.raises(ValidationError) as exc:
        services.supplier_link_save(actor=desk, organisation=firm_a, counterparty=cp)
    assert "organisation" in exc.value.message_dict


def test_unlinked_supplier_cannot_offer(call, make_user, make_org, make_offer):
    user = make_user("supplier", org=make_org("Loose", "supplier"))
    with pytest.raises(ValidationError, match="not yet linked|noch mit keiner Gegenpartei"):
        make_offer(user, call)


def test_match_then_adjust_then_draft_contract(call, supplier, supplier_b, make_offer, desk, fx):
    from market import runs
    from market.models import MatchAllocation, OfferResult
    from rohstoff.core.models import AuditEvent

    cheap = make_offer(supplier, call, fixed_price=Decimal("14000"))
    dear = make_offer(supplier_b, call, origin_country="FI", fixed_price=Decimal("16000"))
    with pytest.raises(StateConflict):
        runs.match_run(call_id=call.pk)
    close(call)
    run = runs.match_run(call_id=call.pk)
    assert runs.match_run(call_id=call.pk) == run  # idempotent
    got = {(a.offer_id, a.quarter): a.quantity_t for a in MatchAllocation.objects.filter(run=run)}
    # 65 % cap on Chile per cell: 600 demanded, Chile offers 400 <= 390? no: capped at 390.
    assert got[(cheap.pk, Q1)] == Decimal("390")
    assert got[(dear.pk, Q1)] == Decimal("210")
    call.refresh_from_db()
    assert call.state == "matched"

    allocation = MatchAllocation.objects.get(run=run, offer=cheap, quarter=Q1)
    with pytest.raises(ValidationError):
        runs.allocation_adjust(
            actor=desk, allocation=allocation, quantity_t=Decimal("10"), reason=" "
        )
    runs.allocation_adjust(
        actor=desk, allocation=allocation, quantity_t=Decimal("380"), reason="Rounded to lots"
    )
    event = AuditEvent.objects.filter(action="match.adjust").get()
    assert event.after["reason"] == "Rounded to lots" and event.before["quantity_t"] == "390.000000"

    result = OfferResult.objects.get(run=run, offer=cheap)
    contract = runs.contract_draft_from_match(actor=desk, result=result)
    assert contract.state == "draft"
    assert contract.counterparty == supplier.organisation.supplier_link.counterparty
    assert contract.fixed_price == Decimal("14000")
    assert dict(contract.schedule.values_list("quarter", "quantity_t"))[Q1] == Decimal("380")
    assert runs.contract_draft_from_match(actor=desk, result=result) == contract
    with pytest.raises(StateConflict):
        runs.allocation_adjust(
            actor=desk, allocation=allocation, quantity_t=Decimal("1"), reason="late"
        )


def test_match_task_is_safe_twice(call, supplier, make_offer, fx):
    from market.models import MatchRun
    from market.tasks import match_call, match_due_calls

    make_offer(supplier, call)
    assert match_call(call.pk)["run"] is None  # before the deadline: nothing
    close(call)
    assert match_due_calls()["matched"] == 1
    assert match_call(call.pk)["run"] == MatchRun.objects.get().pk


def test_call_needs_published_positions(world, desk):
    import datetime

    from django.utils import timezone

    from market import services
    from tradinghouse.models import PositionSet

    PositionSet.objects.update(published_at=None)
    with pytest.raises(StateConflict):
        services.call_open(
            actor=desk,
            round=world,
            title="x",
            deadline=timezone.now() + datetime.timedelta(days=1),
            terms="t",
        )


def test_a_call_goes_only_to_its_addressees(
    world, desk, supplier, supplier_b, make_offer, client, django_capture_on_commit_callbacks
):
    """A supplier the desk did not address neither sees the call (404, pages and API) nor gets
    its mail nor may offer; a call needs at least one linked supplier."""
    from django.core import mail

    from market import services
    from market.models import Call

    mail.outbox.clear()
    with pytest.raises(ValidationError):
        services.call_open(
            actor=desk,
            round=world,
            title="Leer",
            deadline=timezone.now() + datetime.timedelta(days=7),
            terms="DAP",
            addressees=[],
        )
    with django_capture_on_commit_callbacks(execute=True):
        call = services.call_open(
            actor=desk,
            round=world,
            title="Nur Andes",
            deadline=timezone.now() + datetime.timedelta(days=7),
            terms="DAP Hamburg.",
            addressees=[supplier.organisation],
        )
    assert list(call.addressees.all()) == [supplier.organisation]
    assert [m.to for m in mail.outbox] == [[supplier.email]]
    client.force_login(supplier_b)
    assert client.get(f"/market/{call.pk}/").status_code == 404
    assert client.get(f"/api/v1/market/calls/{call.pk}/").status_code == 404
    assert Call.objects.filter(pk=call.pk).exists()
    with pytest.raises(ValidationError, match="not addressed|nicht an Ihre Organisation"):
        make_offer(supplier_b, call)
    client.force_login(supplier)
    assert client.get(f"/market/{call.pk}/").status_code == 200
