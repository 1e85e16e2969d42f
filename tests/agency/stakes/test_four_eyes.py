"""Four eyes at the committee (docs/four-eyes.md): two different approvers with a second factor,
neither the author; the same approver twice counts once; a change voids; either may reject."""

from decimal import Decimal

import pytest

from agency.four_eyes import services as four_eyes
from agency.stakes import services
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.models import AuditEvent

from .conftest import pdf


@pytest.fixture
def proposal(at_committee):
    return at_committee()


def test_two_different_approvers_approve(proposal, approver, approver2, lithium_round):
    proposal = services.proposal_approve(proposal=proposal, actor=approver)
    assert proposal.stage == "committee"
    assert four_eyes.current_approvals(proposal).count() == 1
    proposal = services.proposal_approve(proposal=proposal, actor=approver2)
    assert proposal.stage == "approved" and proposal.decided_at is not None
    actions = list(
        AuditEvent.objects.filter(object_type="agency.stakeproposal", object_id=str(proposal.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == ["stake.approve", "stake.approve", "stake.approved"] or (
        "stake.approved" in actions
    )


def test_the_same_approver_twice_counts_once(proposal, approver):
    services.proposal_approve(proposal=proposal, actor=approver)
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=proposal, actor=approver)
    proposal.refresh_from_db()
    assert proposal.stage == "committee"
    assert four_eyes.current_approvals(proposal).count() == 1


def test_the_author_cannot_approve(make_user, make_org, at_committee, approver, project, lioh):
    from .conftest import equity_data

    # An approver may not write proposals at all; the rule still holds for a subject whose author
    # is an approver (a stockpile release, say): the check reads the subject's author.
    proposal = at_committee()
    proposal.author = approver
    proposal.save(update_fields=["author"])
    with pytest.raises(StateConflict) as exc:
        services.proposal_approve(proposal=proposal, actor=approver)
    assert "author" in str(exc.value.message).lower() or "Autor" in str(exc.value.message)
    assert equity_data  # imported for symmetry with the other tests


def test_analysts_and_approvers_without_second_factor_cannot_approve(
    proposal, analyst2, make_user, make_org
):
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=proposal, actor=analyst2)
    no_mfa = make_user(
        "agency_approver",
        org=make_org("Agentur", "agency"),
        email="nomfa@agency.example",
        mfa=False,
    )
    with pytest.raises(StateConflict) as exc:
        services.proposal_approve(proposal=proposal, actor=no_mfa)
    assert "second factor" in str(exc.value.message) or "zweiten Faktor" in str(exc.value.message)


def test_a_change_after_the_first_approval_voids_it(proposal, analyst, approver, approver2):
    services.proposal_approve(proposal=proposal, actor=approver)
    services.proposal_update(proposal=proposal, actor=analyst, conditions="Neue Auflage")
    proposal.refresh_from_db()
    assert proposal.revision > 1
    assert four_eyes.current_approvals(proposal).count() == 0
    assert four_eyes.decisions(proposal).get(approver=approver).voided_at is not None
    services.proposal_approve(proposal=proposal, actor=approver2)
    proposal.refresh_from_db()
    assert proposal.stage == "committee"  # approver's earlier approval no longer counts
    proposal = services.proposal_approve(proposal=proposal, actor=approver)
    assert proposal.stage == "approved"
    assert AuditEvent.objects.filter(action="stake.approvals_voided").exists()


def test_a_new_document_voids_too(proposal, analyst, approver, approver2):
    services.proposal_approve(proposal=proposal, actor=approver)
    services.document_upload(proposal=proposal, actor=analyst, item="economics", upload=pdf())
    proposal.refresh_from_db()
    assert four_eyes.current_approvals(proposal).count() == 0
    # and the committee cannot approve until the new file is accepted
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=proposal, actor=approver2)


def test_an_approval_names_the_version_read(proposal, analyst, approver):
    read = proposal.revision
    services.proposal_update(proposal=proposal, actor=analyst, amount=Decimal("100000000"))
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=proposal, actor=approver, revision=read)


def test_either_approver_rejects_with_a_reason(proposal, approver, approver2, analyst):
    services.proposal_approve(proposal=proposal, actor=approver)
    with pytest.raises(ValidationError):
        services.proposal_reject(proposal=proposal, actor=approver2, reason=" ")
    with pytest.raises(StateConflict):  # analysts do not decide at the committee
        services.proposal_reject(proposal=proposal, actor=analyst, reason="nein")
    rejected = services.proposal_reject(proposal=proposal, actor=approver2, reason="Zu riskant")
    assert rejected.stage == "rejected" and rejected.decision_reason == "Zu riskant"
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=rejected, actor=approver2)


def test_approval_only_at_the_committee(make_proposal, approver):
    with pytest.raises(StateConflict):
        services.proposal_approve(proposal=make_proposal(), actor=approver)


def test_saving_without_a_change_keeps_the_approvals(proposal, analyst, approver):
    services.proposal_approve(proposal=proposal, actor=approver)
    services.proposal_update(proposal=proposal, actor=analyst, conditions=proposal.conditions)
    proposal.refresh_from_db()
    assert four_eyes.current_approvals(proposal).count() == 1
