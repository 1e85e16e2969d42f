"""Who may see and do what with agency projects: the one place in the agency app that reads a
user's role. Selectors, views and the API ask this module; templates ask ``can.agency.<flag>``
(:func:`capabilities`, registered in ``AgencyConfig.ready()``).

The rules (docs/roles-and-visibility.md): the agency reads projects, and so does the trading desk,
which links its offtake contracts to them; nobody else sees them (staff write them in the admin).
Stake proposals: below (docs/stakes.md).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from rohstoff.core.access import (
    AGENCY,
    AGENCY_ANALYSTS,
    AGENCY_APPROVERS,
    DESK,
    MEMBER_ROLES,
    concealed,
)
from rohstoff.core.models import Role

from .models import Project, ProposalDocument, ProposalStage, StakeProposal

PROJECT_READER_ROLES = frozenset({Role.AGENCY_ANALYST, Role.AGENCY_APPROVER, Role.TRADING_DESK})


def reads_projects(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in PROJECT_READER_ROLES
    )


def capabilities(user) -> dict[str, bool]:
    """``can.agency.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {"read_projects": reads_projects(user), **proposal_capabilities(user)}


def projects_visible_to(user) -> QuerySet[Project]:
    if not reads_projects(user):
        return Project.objects.none()
    return Project.objects.prefetch_related("materials").annotate(
        contract_count=Count("contracts", distinct=True)
    )


# Stake proposals (docs/stakes.md, "Who sees what"): the agency reads them, its analysts prepare
# and move them, its approvers decide at the committee. The desk sees only the offtake rights of
# approved stakes; the ministry nothing of a proposal (portfolio aggregates only); members do not
# learn that these pages exist (404, not 403).
PROPOSAL_READERS = concealed(AGENCY, *MEMBER_ROLES)
PROPOSAL_WRITERS = concealed(AGENCY_ANALYSTS, *MEMBER_ROLES)
PROPOSAL_DECIDERS = concealed(AGENCY_APPROVERS, *MEMBER_ROLES)
OFFTAKE_RIGHT_READERS = concealed(DESK | AGENCY, *MEMBER_ROLES)
OFFTAKE_RIGHT_DRAFTERS = concealed(DESK, *MEMBER_ROLES)


def reads_proposals(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in PROPOSAL_READERS.roles)


def proposals_visible_to(user) -> QuerySet[StakeProposal]:
    if not reads_proposals(user):
        return StakeProposal.objects.none()
    return StakeProposal.objects.select_related("project", "offtake_material", "author")


def proposal_documents_visible_to(user) -> QuerySet[ProposalDocument]:
    """A proposal's documents go to exactly those who see the proposal."""
    return ProposalDocument.objects.filter(proposal__in=proposals_visible_to(user))


def offtake_rights_visible_to(user) -> QuerySet[StakeProposal]:
    """Approved stakes that carry an offtake right: the desk's (and the agency's) view of them."""
    if not (getattr(user, "is_authenticated", False) and user.role in OFFTAKE_RIGHT_READERS.roles):
        return StakeProposal.objects.none()
    return StakeProposal.objects.filter(
        stage=ProposalStage.APPROVED, offtake_material__isnull=False
    ).select_related("project", "offtake_material")


def proposal_capabilities(user) -> dict[str, bool]:
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    return {
        "read_proposals": role in PROPOSAL_READERS.roles,
        "write_proposals": role in PROPOSAL_WRITERS.roles,
        "decide_proposals": role in PROPOSAL_DECIDERS.roles,
        "read_offtake_rights": role in OFFTAKE_RIGHT_READERS.roles,
        "draft_offtake_contracts": role in OFFTAKE_RIGHT_DRAFTERS.roles,
    }
