"""Allocation of contracts to member firms: preview from positions, earlier contracts first,
override, release, confirm/decline with redistribution, the deadline, and the positions it feeds."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts.allocation import allocate
from contracts.allocations import services as allocation_services
from contracts.deliveries import services as delivery_services
from contracts.models import Allocation, AllocationRound
from contracts.offtakes import services as offtake_services
from contracts.supply import supply_for_round
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import AuditEvent
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index
QUARTERS_2027 = [Q1, Q1 + 1, Q1 + 2, Q1 + 3]


def split(draft, quarter=Q1):
    return {a.organisation_id: a.quantity_t for a in draft.allocations.filter(quarter=quarter)}


@pytest.fixture
def member_users(make_user, firms):
    return {firm.pk: make_user("member", org=firm) for firm in firms}


def test_allocation_needs_positions(make_contract, sign, desk):
    contract = sign(make_contract())
    with pytest.raises(StateConflict) as exc:
        allocation_services.allocation_preview(contract=contract, actor=desk)
    assert "no positions yet" in str(exc.value)


def test_only_signed_contracts_are_allocated(make_contract, desk, positions, firms, lioh):
    positions({firms[0]: D("10")}, lioh, QUARTERS_2027)
    with pytest.raises(StateConflict):
        allocation_services.allocation_preview(contract=make_contract(), actor=desk)


def test_preview_splits_by_firm_demand_only(make_contract, sign, desk, positions, firms, lioh):
    # 10 t a quarter, lots of 1 t. Firm demand 10 / 8.125 / 8.75; firm 4 has only indicative demand.
    positions({firms[0]: D("10"), firms[1]: D("8.125"), firms[2]: D("8.75")}, lioh, QUARTERS_2027)
    positions({firms[3]: D("0")}, lioh, QUARTERS_2027, indicative=D("50"))
    contract = sign(make_contract(annual_volume_t=D("40")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    # 10 lots: 3.72 / 3.02 / 3.26 -> 3, 3, 3 and one leftover lot to the largest remainder (.72).
    assert split(draft) == {firms[0].pk: D("4"), firms[1].pk: D("3"), firms[2].pk: D("3")}
    allocation = draft.allocations.get(quarter=Q1, organisation=firms[0])
    assert allocation.requested_t == D("10") and allocation.explanation["extra_lots"] == 1
    assert draft.allocations.count() == 12
    assert AuditEvent.objects.filter(action="allocation.preview").exists()


def test_surplus_stays_unallocated(make_contract, sign, desk, positions, firms, lioh):
    positions({firms[0]: D("2.5"), firms[1]: D("3")}, lioh, QUARTERS_2027)
    contract = sign(make_contract(annual_volume_t=D("40"), lot_size_t=D("0.5")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    assert split(draft) == {firms[0].pk: D("2.5"), firms[1].pk: D("3")}


def test_earlier_signed_contract_goes_first(
    make_contract, sign, desk, positions, firms, lioh, counterparty
):
    positions({firms[0]: D("10"), firms[1]: D("10")}, lioh, QUARTERS_2027)
    late = sign(make_contract(annual_volume_t=D("40")), signed_on=datetime.date(2026, 3, 1))
    early = sign(make_contract(annual_volume_t=D("24")), signed_on=datetime.date(2026, 2, 1))
    with pytest.raises(StateConflict) as exc:
        allocation_services.allocation_preview(contract=late, actor=desk)
    assert early.reference in str(exc.value)
    first = allocation_services.allocation_preview(contract=early, actor=desk)
    assert split(first) == {firms[0].pk: D("3"), firms[1].pk: D("3")}
    allocation_services.allocation_release(
        allocation_round=first, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    second = allocation_services.allocation_preview(contract=late, actor=desk)
    # Remaining firm demand is 7 t each; 10 t: 5 and 5.
    assert split(second) == {firms[0].pk: D("5"), firms[1].pk: D("5")}
    assert second.allocations.get(quarter=Q1, organisation=firms[0]).requested_t == D("7")


def test_a_contract_signed_earlier_but_allocated_later_never_exceeds_demand(
    make_contract, sign, desk, positions, firms, lioh
):
    """The signing date is entered by the desk and can lie before that of a contract allocated
    already: the firms' remaining demand then still counts what that contract gave them."""
    positions({firms[0]: D("10"), firms[1]: D("10")}, lioh, QUARTERS_2027)
    first = sign(make_contract(annual_volume_t=D("40")), signed_on=datetime.date(2026, 3, 1))
    released = allocation_services.allocation_preview(contract=first, actor=desk)
    allocation_services.allocation_release(
        allocation_round=released,
        actor=desk,
        respond_by=timezone.now() + datetime.timedelta(days=5),
    )
    assert split(released) == {firms[0].pk: D("5"), firms[1].pk: D("5")}
    backdated = sign(make_contract(annual_volume_t=D("80")), signed_on=datetime.date(2026, 2, 1))
    draft = allocation_services.allocation_preview(contract=backdated, actor=desk)
    # 5 t each are left of the 10 t each asked for; the other 10 t of 20 stay unallocated.
    assert split(draft) == {firms[0].pk: D("5"), firms[1].pk: D("5")}
    assert draft.allocations.get(quarter=Q1, organisation=firms[0]).requested_t == D("5")


def test_override_with_reason_whole_lots_within_demand_and_volume(
    make_contract, sign, desk, positions, firms, lioh
):
    positions({firms[0]: D("10"), firms[1]: D("10")}, lioh, QUARTERS_2027)
    contract = sign(make_contract(annual_volume_t=D("40")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    a, b = draft.allocations.filter(quarter=Q1).order_by("organisation_id")
    with pytest.raises(ValidationError) as exc:
        allocation_services.allocation_override(
            allocation=a, actor=desk, quantity_t=D("6"), reason=""
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        allocation_services.allocation_override(
            allocation=a, actor=desk, quantity_t=D("5.5"), reason="Vorrang Pilotlinie"
        )
    assert "whole lots" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        allocation_services.allocation_override(
            allocation=a, actor=desk, quantity_t=D("6"), reason="Vorrang Pilotlinie"
        )
    assert "Only 5" in exc.value.messages[0]  # b holds 5 of the 10 t
    allocation_services.allocation_override(
        allocation=b, actor=desk, quantity_t=D("3"), reason="Werk B im Umbau"
    )
    a = allocation_services.allocation_override(
        allocation=a, actor=desk, quantity_t=D("7"), reason="Vorrang Pilotlinie"
    )
    assert (a.quantity_t, a.computed_t, a.override_reason) == (D("7"), D("5"), "Vorrang Pilotlinie")
    event = AuditEvent.objects.filter(action="allocation.override").order_by("-seq").first()
    assert event.before["quantity_t"] == "5.000000" and event.after == {
        "quantity_t": "7",
        "override_reason": "Vorrang Pilotlinie",
    }
    with pytest.raises(ValidationError):
        allocation_services.allocation_override(
            allocation=a, actor=desk, quantity_t=D("11"), reason="mehr"
        )


def released(make_contract, sign, desk, positions, firms, lioh, demand):
    positions(demand, lioh, QUARTERS_2027)
    contract = sign(make_contract(annual_volume_t=D("40")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    return allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=7)
    )


def test_the_schedule_cannot_drop_a_quarter_whose_volume_is_allocated(
    make_contract, sign, desk, positions, firms, lioh
):
    positions({firms[0]: D("10"), firms[1]: D("10")}, lioh, QUARTERS_2027)
    contract = sign(make_contract(annual_volume_t=D("40")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    # The year still adds up to 40 t, but 2027-Q1 (10 t released to the firms) is left out.
    moved = {Q1 + 1: D("13.4"), Q1 + 2: D("13.3"), Q1 + 3: D("13.3")}
    with pytest.raises(ValidationError) as exc:
        offtake_services.schedule_set(contract=contract, actor=desk, entries=moved)
    assert "2027-Q1: 10\u00a0t are already allocated" in exc.value.messages[0]
    assert contract.schedule.get(quarter=Q1).quantity_t == D("10")


def test_a_members_part_of_a_delivery_is_in_tonnes_to_the_gram(
    make_contract, sign, desk, positions, firms, lioh
):
    from contracts.allocations.selectors import pass_through

    positions({firms[0]: D("10"), firms[1]: D("20")}, lioh, QUARTERS_2027)
    contract = sign(make_contract(annual_volume_t=D("120")))
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=Q1,
        delivered_on=datetime.date(2026, 2, 1),
        quantity_t=D("1"),
    )
    own = draft.allocations.get(quarter=Q1, organisation=firms[0])  # 10 of the 30 t scheduled
    detail = pass_through([own])[own.pk]
    assert [p["share_t"] for p in detail["deliveries"]] == [D("0.333333")]
    assert detail["delivered_t"] == D("0.333333")


def test_members_confirm_and_decline_and_declined_volume_goes_to_firms_still_answering(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    # 10 t among 6 / 6 / 4 t of demand: 3.75 / 3.75 / 2.5 -> 3, 3, 2 + 2 leftover lots by
    # remainders (.75, .75, .5) -> 4, 4, 2.
    round_ = released(
        make_contract,
        sign,
        desk,
        positions,
        firms,
        lioh,
        {firms[0]: D("6"), firms[1]: D("6"), firms[2]: D("4")},
    )
    assert split(round_) == {firms[0].pk: D("4"), firms[1].pk: D("4"), firms[2].pk: D("2")}
    a0, a1, a2 = round_.allocations.filter(quarter=Q1).order_by("organisation_id")
    allocation_services.allocation_respond(
        allocation=a2, actor=member_users[firms[2].pk], accept=True
    )
    allocation_services.allocation_respond(
        allocation=a0, actor=member_users[firms[0].pk], accept=False
    )
    # Firm 0's 4 t go to those still answering: only firm 1, which lacks 2 t: it gets 2, 2 t stay over.
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.quantity_t, a1.redistributed_t, a1.state) == (D("6"), D("2"), "proposed")
    assert a2.quantity_t == D("2")
    assert a1.explanation["redistributed"][0]["from_declined_t"] == "4.000000"
    with pytest.raises(StateConflict):
        allocation_services.allocation_respond(
            allocation=a0, actor=member_users[firms[0].pk], accept=True
        )
    with pytest.raises(StateConflict):
        allocation_services.allocation_respond(
            allocation=a1, actor=member_users[firms[0].pk], accept=True
        )  # not its firm


def test_redistribution_uses_the_same_rule(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    round_ = released(
        make_contract,
        sign,
        desk,
        positions,
        firms,
        lioh,
        {firms[0]: D("10"), firms[1]: D("5"), firms[2]: D("5"), firms[3]: D("5")},
    )
    # 10 lots for 25 t of demand: 4, 2, 2, 2.
    assert split(round_) == {
        firms[0].pk: D("4"),
        firms[1].pk: D("2"),
        firms[2].pk: D("2"),
        firms[3].pk: D("2"),
    }
    a0 = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(
        allocation=a0, actor=member_users[firms[0].pk], accept=False
    )
    # 4 t among firms lacking 3 / 3 / 3 t: 1.33 each -> 1, 1, 1 and the leftover lot to the lowest id.
    assert split(round_) == {
        firms[0].pk: D("4"),
        firms[1].pk: D("4"),
        firms[2].pk: D("3"),
        firms[3].pk: D("3"),
    }
    # Each receiving firm's explanation records the whole computation of the redistribution,
    # with the same figures the rule gives, and the declined volume it came from.
    lacking = {f.pk: D("3.000000") for f in firms[1:4]}
    expected = allocate(a0.quantity_t, a0.contract.lot_size_t, lacking).explanations()
    for firm in firms[1:4]:
        share = round_.allocations.get(quarter=Q1, organisation=firm)
        assert share.explanation["redistributed"] == [
            {**expected[firm.pk], "from_declined_t": "4.000000"}
        ]


def test_members_cannot_answer_after_the_deadline_and_silence_counts_as_confirmed(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    a0 = round_.allocations.filter(organisation=firms[0]).first()
    later = timezone.now() + datetime.timedelta(days=8)
    AllocationRound.objects.filter(pk=round_.pk).update(
        respond_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(StateConflict):
        allocation_services.allocation_respond(
            allocation=a0, actor=member_users[firms[0].pk], accept=True
        )
    assert allocation_services.allocations_deem_confirmed(now=later) == 8
    assert allocation_services.allocations_deem_confirmed(now=later) == 0
    round_.refresh_from_db()
    assert round_.state == "closed"
    assert set(round_.allocations.values_list("state", "deemed_confirmed")) == {("confirmed", True)}


def test_members_never_see_drafts(make_contract, sign, desk, positions, firms, lioh, member_users):
    from contracts.policy import allocations_visible_to

    positions({firms[0]: D("6")}, lioh, QUARTERS_2027)
    contract = sign(make_contract())
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    assert not allocations_visible_to(member_users[firms[0].pk]).exists()
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=1)
    )
    assert allocations_visible_to(member_users[firms[0].pk]).count() == 4


def test_release_needs_a_future_deadline_and_happens_once(
    make_contract,
    sign,
    desk,
    positions,
    firms,
    lioh,
    django_capture_on_commit_callbacks,
    member_users,
):
    from django.core import mail

    positions({firms[0]: D("6")}, lioh, QUARTERS_2027)
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    with pytest.raises(ValidationError):
        allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() - datetime.timedelta(hours=1),
        )
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() + datetime.timedelta(days=3),
        )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member_users[firms[0].pk].email]
    with pytest.raises(StateConflict):
        allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() + datetime.timedelta(days=3),
        )
    with pytest.raises(StateConflict):
        allocation_services.allocation_preview(contract=draft.contract, actor=desk)


def test_supply_provider_counts_signed_schedules_and_confirmed_allocations(
    make_contract, sign, desk, positions, firms, lioh, member_users, demand_round
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    make_contract(annual_volume_t=D("100"))  # a draft: not supply
    supply = supply_for_round(demand_round.pk)
    assert supply[(lioh.pk, Q1)] == (D("10"), D("0"))
    a0 = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(
        allocation=a0, actor=member_users[firms[0].pk], accept=True
    )
    assert supply_for_round(demand_round.pk)[(lioh.pk, Q1)] == (D("10"), D("5"))
    offtake_services.contract_transition(
        contract=round_.contract, actor=desk, to_state="terminated"
    )
    assert (lioh.pk, Q1) not in supply_for_round(demand_round.pk)


def test_positions_are_refreshed_after_changes_commit(
    make_contract,
    sign,
    desk,
    positions,
    firms,
    lioh,
    member_users,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    import tradinghouse.services

    calls = []
    monkeypatch.setattr(
        tradinghouse.services,
        "positions_refresh",
        lambda *, round, actor=None: calls.append((round.pk, getattr(actor, "pk", None))),
        raising=False,
    )
    positions({firms[0]: D("6")}, lioh, QUARTERS_2027)
    contract = make_contract()
    offtake_services.schedule_generate(contract=contract, actor=desk)
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    with django_capture_on_commit_callbacks(execute=True):
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="signed")
    assert calls == [(contract.round_id, desk.pk)]
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=3)
    )
    allocation = Allocation.objects.filter(allocation_round=draft).first()
    member = member_users[firms[0].pk]
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_respond(allocation=allocation, actor=member, accept=True)
    assert calls[-1] == (contract.round_id, member.pk)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_reopen(
            allocation=allocation,
            actor=desk,
            reason="Korrektur",
            respond_by=timezone.now() + datetime.timedelta(days=3),
        )
    assert len(calls) == 3  # the reopened share no longer counts as allocated
    # A decline changes no confirmed share: no new aggregation run.
    declined = Allocation.objects.filter(allocation_round=draft, state="proposed").first()
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_respond(allocation=declined, actor=member, accept=False)
    assert len(calls) == 3


def test_terminating_a_contract_closes_its_open_allocation(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    confirmed = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(
        allocation=confirmed, actor=member_users[firms[0].pk], accept=True
    )
    offtake_services.contract_transition(
        contract=round_.contract, actor=desk, to_state="terminated"
    )
    round_.refresh_from_db()
    assert round_.state == "closed"
    pending = round_.allocations.get(quarter=Q1, organisation=firms[1])
    with pytest.raises(StateConflict):
        allocation_services.allocation_respond(
            allocation=pending, actor=member_users[firms[1].pk], accept=True
        )
    assert (
        allocation_services.allocations_deem_confirmed(
            now=timezone.now() + datetime.timedelta(days=30)
        )
        == 0
    )
    confirmed.refresh_from_db()
    assert confirmed.state == "confirmed"


def test_a_release_counts_and_mails_each_firm_once_whatever_its_quarters(
    make_contract,
    sign,
    desk,
    positions,
    firms,
    lioh,
    member_users,
    django_capture_on_commit_callbacks,
):
    """Each firm has a share in each of four quarters: four shares, one firm, one mail per member
    (the firms are read with DISTINCT over the firm alone, not over every share)."""
    from django.core import mail

    from rohstoff.core.models import AuditEvent

    positions({firm: D("6") for firm in firms[:3]}, lioh, QUARTERS_2027)
    draft = allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)
    assert draft.allocations.count() == 12
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() + datetime.timedelta(days=3),
        )
    event = AuditEvent.objects.filter(action="allocation.release").latest("pk")
    assert event.after["firms"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        member_users[firm.pk].email for firm in firms[:3]
    )


def test_the_release_mail_reaches_each_member_in_their_language_with_a_working_link(
    make_contract,
    sign,
    desk,
    positions,
    firms,
    lioh,
    make_user,
    member_users,
    django_capture_on_commit_callbacks,
):
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.core import mail
    from django.urls import resolve

    from rohstoff.core.services import user_set_language

    english = member_users[firms[0].pk]
    user_set_language(user=english, language="en")
    german = make_user("member", org=firms[0])
    positions({firms[0]: D("6")}, lioh, QUARTERS_2027)
    contract = sign(make_contract())
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() + datetime.timedelta(days=3),
        )
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == sorted([english.email, german.email])
    en, de = by_recipient[english.email], by_recipient[german.email]
    assert en.subject == f"[Rohstoff] New allocation from offtake {contract.reference}"
    assert de.subject == f"[Rohstoff] Neue Zuteilung aus Abnahmevertrag {contract.reference}"
    assert contract.material.name_en in en.body and contract.material.name_de in de.body
    assert "count as confirmed" in en.body and "gelten als bestätigt" in de.body
    for message in (en, de):
        link = next(w for w in message.body.split() if w.startswith(settings.SITE_URL + "/"))
        assert resolve(urlsplit(link).path).view_name == "contracts:my_allocations"


# ---- a confirmed share is reopened, never overridden ---------------------------------------


def test_the_desk_cannot_override_a_confirmed_share(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    share = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(
        allocation=share, actor=member_users[firms[0].pk], accept=True
    )
    with pytest.raises(StateConflict) as exc:
        allocation_services.allocation_override(
            allocation=share, actor=desk, quantity_t=D("4"), reason="Engpass"
        )
    assert "reopen" in exc.value.message
    share.refresh_from_db()
    assert (share.state, share.quantity_t) == ("confirmed", D("5"))


def test_a_reopened_share_is_answered_again(
    make_contract, sign, desk, positions, firms, lioh, member_users, demand_round
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    member = member_users[firms[0].pk]
    share = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(allocation=share, actor=member, accept=True)
    assert supply_for_round(demand_round.pk)[(lioh.pk, Q1)][1] == D("5")
    with pytest.raises(ValidationError):  # a reason is required
        allocation_services.allocation_reopen(
            allocation=share, actor=desk, reason=" ", respond_by=timezone.now()
        )
    later = timezone.now() + datetime.timedelta(days=10)
    share = allocation_services.allocation_reopen(
        allocation=share, actor=desk, reason="Werk B im Umbau", respond_by=later
    )
    assert (share.state, share.reopen_reason, share.responded_at) == (
        "proposed",
        "Werk B im Umbau",
        None,
    )
    assert supply_for_round(demand_round.pk)[(lioh.pk, Q1)][1] == 0  # no longer counted
    event = AuditEvent.objects.filter(action="allocation.reopen").get()
    assert (
        event.before["state"] == "confirmed" and event.after["reopen_reason"] == "Werk B im Umbau"
    )
    # Open again: the desk may now change it, and the firm answers again.
    allocation_services.allocation_override(
        allocation=share, actor=desk, quantity_t=D("4"), reason="Engpass"
    )
    with pytest.raises(StateConflict):  # only a confirmed share is reopened
        allocation_services.allocation_reopen(
            allocation=share, actor=desk, reason="nochmal", respond_by=later
        )
    share = allocation_services.allocation_respond(allocation=share, actor=member, accept=True)
    assert (share.state, share.quantity_t) == ("confirmed", D("4"))


def test_a_share_deemed_confirmed_is_reopened_in_a_closed_round_and_deemed_again(
    make_contract, sign, desk, positions, firms, lioh, member_users
):
    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    assert allocation_services.allocations_deem_confirmed(
        now=timezone.now() + datetime.timedelta(days=8)
    )
    round_.refresh_from_db()
    assert round_.state == "closed"
    share = round_.allocations.get(quarter=Q1, organisation=firms[0])
    assert share.deemed_confirmed
    with pytest.raises(StateConflict):
        allocation_services.allocation_override(
            allocation=share, actor=desk, quantity_t=D("4"), reason="Engpass"
        )
    deadline = timezone.now() + datetime.timedelta(days=10)  # after the round's first deadline
    allocation_services.allocation_reopen(
        allocation=share, actor=desk, reason="Korrektur der Bedarfsmeldung", respond_by=deadline
    )
    round_.refresh_from_db()
    share.refresh_from_db()
    assert (round_.state, round_.respond_by, share.state, share.deemed_confirmed) == (
        "released",
        deadline,
        "proposed",
        False,
    )
    # Unanswered shares still count as confirmed at the (new) deadline.
    assert allocation_services.allocations_deem_confirmed(now=deadline + datetime.timedelta(1)) == 1
    share.refresh_from_db()
    round_.refresh_from_db()
    assert (share.state, share.deemed_confirmed, round_.state) == ("confirmed", True, "closed")


def test_the_firm_is_told_in_its_language_when_its_share_is_reopened(
    make_contract,
    sign,
    desk,
    positions,
    firms,
    lioh,
    member_users,
    django_capture_on_commit_callbacks,
):
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.core import mail
    from django.urls import resolve

    from rohstoff.core.services import user_set_language

    round_ = released(
        make_contract, sign, desk, positions, firms, lioh, {firms[0]: D("6"), firms[1]: D("6")}
    )
    member = member_users[firms[0].pk]
    share = round_.allocations.get(quarter=Q1, organisation=firms[0])
    allocation_services.allocation_respond(allocation=share, actor=member, accept=True)
    user_set_language(user=member, language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        allocation_services.allocation_reopen(
            allocation=share,
            actor=desk,
            reason="Werk B im Umbau",
            respond_by=timezone.now() + datetime.timedelta(days=10),
        )
    [message] = mail.outbox  # the firm's user only, not the other firm's
    assert message.to == [member.email]
    assert message.subject.endswith(
        f"Your share of offtake {share.contract.reference} is open again"
    )
    assert "Werk B im Umbau" in message.body and "confirm or decline it again" in message.body
    link = next(w for w in message.body.split() if w.startswith(settings.SITE_URL + "/"))
    match = resolve(urlsplit(link).path)
    assert match.view_name == "contracts:my_allocation" and match.kwargs["pk"] == share.pk
