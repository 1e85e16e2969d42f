"""Two approvers approve at the same moment (PostgreSQL, real transactions, row locks): exactly
one approved proposal and one draft contract, whoever comes second."""

import threading

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


def test_two_approvers_at_once(at_committee, approver, approver2, lithium_round):
    from agency.four_eyes.services import current_approvals
    from agency.models import StakeProposal
    from agency.stakes import services
    from contracts.models import OfftakeContract

    proposal = at_committee()
    results, errors = run_together(
        lambda: services.proposal_approve(proposal=proposal, actor=approver),
        lambda: services.proposal_approve(proposal=proposal, actor=approver2),
    )
    assert errors == []
    proposal = StakeProposal.objects.get(pk=proposal.pk)
    assert proposal.stage == "approved"
    assert current_approvals(proposal).count() == 2
    assert OfftakeContract.objects.filter(stake=proposal).count() == 1


def test_three_approvers_at_once_give_one_approval(
    at_committee, approver, approver2, make_user, make_org, lithium_round
):
    from agency.models import StakeProposal
    from agency.stakes import services
    from contracts.models import OfftakeContract
    from rohstoff.core.errors import StateConflict

    approver3 = make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver3@agency.example"
    )
    proposal = at_committee()
    services.proposal_approve(proposal=proposal, actor=approver)
    results, errors = run_together(
        lambda: services.proposal_approve(proposal=proposal, actor=approver2),
        lambda: services.proposal_approve(proposal=proposal, actor=approver3),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], StateConflict)
    assert StakeProposal.objects.get(pk=proposal.pk).stage == "approved"
    assert OfftakeContract.objects.filter(stake=proposal).count() == 1
