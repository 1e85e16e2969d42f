"""Who may see and do what with the agency's projects, stakes, portfolio and monitoring: the one
place in the agency app that reads a user's role. Selectors, views and the API ask this module;
templates ask ``can.agency.<flag>`` (:func:`capabilities`, registered in ``AgencyConfig.ready()``).

The rules (docs/roles-and-visibility.md, docs/stakes.md, docs/portfolio.md): the agency reads and
writes projects, stakes and monitoring reports; the trading desk reads projects (it links its
offtake contracts to them) and the offtake rights of approved stakes, nothing else of a stake; the
ministry reads the portfolio's aggregates only; members and suppliers do not learn that any of these pages
exist (404, not 403).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from rohstoff.core.access import (
    AGENCY,
    AGENCY_ANALYSTS,
    AGENCY_APPROVERS,
    DESK,
    MEMBER_ROLES,
    MINISTRY,
    concealed,
)
from rohstoff.core.models import Role

from .models import MonitoringReport, Project, ProposalDocument, ProposalStage, StakeProposal

# Members and suppliers do not learn that the agency's pages exist (404, not 403).
OUTSIDERS = (*MEMBER_ROLES, Role.SUPPLIER)

PROJECT_READER_ROLES = frozenset({Role.AGENCY_ANALYST, Role.AGENCY_APPROVER, Role.TRADING_DESK})

# Projects (docs/agency-projects.md): the agency writes them, the desk reads them too.
PROJECT_READERS = concealed(DESK | AGENCY, *OUTSIDERS)
PROJECT_WRITERS = concealed(AGENCY, *OUTSIDERS)
# The portfolio (docs/portfolio.md): the agency stake by stake, the ministry its totals;
# monitoring reports are the agency's own.
PORTFOLIO_READERS = concealed(AGENCY | MINISTRY, *OUTSIDERS)
MONITORING_USERS = concealed(AGENCY, *OUTSIDERS)


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def reads_projects(user) -> bool:
    return _role(user) in PROJECT_READER_ROLES


def is_agency(user) -> bool:
    """The agency's own people: they write projects, ESG screens and monitoring reports and read
    every stake of the portfolio."""
    return _role(user) in AGENCY.roles


def reads_portfolio_totals(user) -> bool:
    """The portfolio's aggregates (by material, country, instrument): agency and ministry."""
    return _role(user) in PORTFOLIO_READERS.roles


def capabilities(user) -> dict[str, bool]:
    """``can.agency.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read_projects": reads_projects(user),
        "write_projects": is_agency(user),
        "read_portfolio": is_agency(user),
        "read_portfolio_totals": reads_portfolio_totals(user),
        "write_monitoring": is_agency(user),
        **proposal_capabilities(user),
    }


def projects_visible_to(user) -> QuerySet[Project]:
    if not reads_projects(user):
        return Project.objects.none()
    return Project.objects.prefetch_related("materials").annotate(
        contract_count=Count("contracts", distinct=True)
    )


def approved_stakes_visible_to(user) -> QuerySet[StakeProposal]:
    """The portfolio, stake by stake: the agency only (the ministry reads its totals)."""
    return proposals_visible_to(user).filter(stage=ProposalStage.APPROVED)


def monitoring_reports_visible_to(user) -> QuerySet[MonitoringReport]:
    if not is_agency(user):
        return MonitoringReport.objects.none()
    return MonitoringReport.objects.filter(stake__stage=ProposalStage.APPROVED)


# Stake proposals (docs/stakes.md, "Who sees what"): the agency reads them, its analysts prepare
# and move them, its approvers decide at the committee. The desk sees only the offtake rights of
# approved stakes; the ministry nothing of a proposal (portfolio aggregates only); members do not
# learn that these pages exist (404, not 403).
PROPOSAL_READERS = concealed(AGENCY, *OUTSIDERS)
PROPOSAL_WRITERS = concealed(AGENCY_ANALYSTS, *OUTSIDERS)
PROPOSAL_DECIDERS = concealed(AGENCY_APPROVERS, *OUTSIDERS)
OFFTAKE_RIGHT_READERS = concealed(DESK | AGENCY, *OUTSIDERS)
OFFTAKE_RIGHT_DRAFTERS = concealed(DESK, *OUTSIDERS)


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
