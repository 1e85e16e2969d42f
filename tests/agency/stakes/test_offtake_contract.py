"""An approved stake's offtake right becomes a draft offtake contract for the desk."""

from decimal import Decimal

import pytest

from agency.stakes import services
from contracts.models import Counterparty, OfftakeContract
from contracts.offtakes import services as contract_services
from rohstoff.core.errors import StateConflict
from rohstoff.core.periods import Quarter


def approve(proposal, *approvers):
    for approver in approvers:
        proposal = services.proposal_approve(proposal=proposal, actor=approver)
    return proposal


def test_approval_creates_the_draft_contract(
    at_committee, approver, approver2, lithium_round, lioh, desk
):
    proposal = approve(at_committee(), approver, approver2)
    contract = OfftakeContract.objects.get(stake=proposal)
    assert contract.state == "draft" and contract.round == lithium_round
    assert contract.counterparty.name == "Test Lithium GmbH"
    assert contract.counterparty.country.code == "CA"
    assert contract.material == lioh and contract.project == proposal.project
    assert contract.annual_volume_t == Decimal("5000")
    assert contract.first_period == Quarter(2028, 1) and contract.last_period == Quarter(2032, 4)
    assert contract.fixed_price is None
    # the desk completes the price before it negotiates
    with pytest.raises(StateConflict):
        contract_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    contract_services.contract_update(contract=contract, actor=desk, fixed_price=Decimal("11000"))
    contract = contract_services.contract_transition(
        contract=contract, actor=desk, to_state="negotiating"
    )
    assert contract.state == "negotiating"


def test_the_operator_counterparty_is_reused(
    at_committee, approver, approver2, lithium_round, desk
):
    existing = Counterparty.objects.create(name="TEST LITHIUM GMBH", kind="producer", country="CA")
    proposal = approve(at_committee(), approver, approver2)
    assert proposal.offtake_contract.counterparty == existing


def test_no_round_no_contract_until_the_desk_asks_again(
    at_committee, approver, approver2, desk, lioh, li2co3
):
    proposal = approve(at_committee(), approver, approver2)
    assert proposal.stage == "approved"
    assert not OfftakeContract.objects.filter(stake=proposal).exists()
    assert services.stake_contract_draft(proposal=proposal, actor=desk) is None
    from django.utils import timezone

    from industry.models import DemandRound

    r = DemandRound.objects.create(
        title="Später",
        first_quarter=Quarter(2031, 1).index,
        last_quarter=Quarter(2034, 4).index,
        opens_at=timezone.now(),
        closes_at=timezone.now(),
        state="draft",
        created_by=desk,
    )
    r.materials.set([lioh])
    contract = services.stake_contract_draft(proposal=proposal, actor=desk)
    assert contract is not None and contract.round == r
    assert services.stake_contract_draft(proposal=proposal, actor=desk) == contract
    assert OfftakeContract.objects.filter(stake=proposal).count() == 1


def test_a_stake_without_offtake_right_makes_no_contract(
    at_committee, approver, approver2, lithium_round
):
    proposal = approve(
        at_committee(
            offtake_material=None,
            offtake_t_per_year=None,
            offtake_first_year=None,
            offtake_last_year=None,
            offtake_shortfall_reason="Exploration",
        ),
        approver,
        approver2,
    )
    assert proposal.stage == "approved" and not OfftakeContract.objects.exists()
