"""Reads of stake proposals, scoped by agency.policy: whoever may not see a proposal gets 404,
exactly as for one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..four_eyes import services as four_eyes
from ..models import ProposalDocument, ProposalStage, StakeProposal
from . import rules, services


def proposal_get(*, user, pk) -> StakeProposal:
    return get_visible_or_404(policy.proposals_visible_to(user), pk=pk)


def proposal_list(*, user, stage: str = "", search: str = "") -> QuerySet[StakeProposal]:
    qs = policy.proposals_visible_to(user)
    if stage in ProposalStage.values:
        qs = qs.filter(stage=stage)
    if search:
        qs = qs.filter(Q(project__name__icontains=search) | Q(project__operator__icontains=search))
    return qs.order_by("-updated_at", "-pk")


def document_get(*, user, pk) -> ProposalDocument:
    return get_visible_or_404(
        policy.proposal_documents_visible_to(user).select_related("proposal"), pk=pk
    )


def offtake_right_list(*, user) -> QuerySet[StakeProposal]:
    return (
        policy.offtake_rights_visible_to(user)
        .select_related("offtake_contract")
        .order_by("-decided_at", "-pk")
    )


@dataclass(frozen=True)
class Review:
    """What the proposal page and the API show about where a proposal stands."""

    next_stage: str | None
    gate_missing: list  # checklist rows keeping it in its stage
    approvals: list  # approvals on the current revision
    decisions: list  # every decision ever taken, voided ones too
    needs_justification: bool
    pro_rata_t: object  # Decimal or None


def review(proposal: StakeProposal) -> Review:
    return Review(
        next_stage=services.next_stage(proposal.stage),
        gate_missing=services.missing_for_gate(proposal)
        if proposal.stage not in (ProposalStage.APPROVED,)
        else [],
        approvals=list(four_eyes.current_approvals(proposal)),
        decisions=list(four_eyes.decisions(proposal)),
        needs_justification=rules.needs_justification(proposal.equity_share_pct),
        pro_rata_t=services.pro_rata_for(proposal),
    )
