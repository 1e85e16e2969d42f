"""Who may see and do what with the agency's projects, stakes, portfolio and monitoring: the one
place in the agency app that reads a user's role. Selectors, views and the API ask this module;
templates ask ``can.agency.<flag>`` (:func:`capabilities`, registered in ``AgencyConfig.ready()``).

The rules (docs/roles-and-visibility.md, docs/portfolio.md): the agency reads and writes projects,
stakes and monitoring reports; the trading desk reads projects (it links its offtake contracts to
them) and the offtake rights of approved stakes, nothing else of a stake; the ministry reads the
portfolio's aggregates only; members see nothing of any of it (404).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from rohstoff.core.models import Role

from .models import MonitoringReport, Project, ProposalStage, StakeProposal

AGENCY_ROLES = frozenset({Role.AGENCY_ANALYST, Role.AGENCY_APPROVER})
PROJECT_READER_ROLES = AGENCY_ROLES | {Role.TRADING_DESK}
OFFTAKE_RIGHT_READER_ROLES = AGENCY_ROLES | {Role.TRADING_DESK}
PORTFOLIO_TOTAL_READER_ROLES = AGENCY_ROLES | {Role.MINISTRY_VIEWER}


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def reads_projects(user) -> bool:
    return _role(user) in PROJECT_READER_ROLES


def is_agency(user) -> bool:
    """The agency's own people: they write projects, ESG screens and monitoring reports and read
    every stake of the portfolio."""
    return _role(user) in AGENCY_ROLES


def reads_offtake_rights(user) -> bool:
    return _role(user) in OFFTAKE_RIGHT_READER_ROLES


def reads_portfolio_totals(user) -> bool:
    """The portfolio's aggregates (by material, country, instrument): agency and ministry."""
    return _role(user) in PORTFOLIO_TOTAL_READER_ROLES


def capabilities(user) -> dict[str, bool]:
    """``can.agency.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read_projects": reads_projects(user),
        "write_projects": is_agency(user),
        "read_stakes": is_agency(user),
        "read_portfolio": is_agency(user),
        "read_portfolio_totals": reads_portfolio_totals(user),
        "read_offtake_rights": reads_offtake_rights(user),
        "write_monitoring": is_agency(user),
    }


def projects_visible_to(user) -> QuerySet[Project]:
    if not reads_projects(user):
        return Project.objects.none()
    return Project.objects.prefetch_related("materials").annotate(
        contract_count=Count("contracts", distinct=True)
    )


def stakes_visible_to(user) -> QuerySet[StakeProposal]:
    """Every proposal, whatever its stage: the agency only."""
    if not is_agency(user):
        return StakeProposal.objects.none()
    return StakeProposal.objects.all()


def approved_stakes_visible_to(user) -> QuerySet[StakeProposal]:
    """The portfolio, stake by stake: the agency only (the ministry reads its totals)."""
    return stakes_visible_to(user).filter(stage=ProposalStage.APPROVED)


def offtake_rights_visible_to(user) -> QuerySet[StakeProposal]:
    """Approved stakes that carry an offtake right: the desk reads these (and only their offtake
    right, project, operator and contract), the agency too."""
    if not reads_offtake_rights(user):
        return StakeProposal.objects.none()
    return StakeProposal.objects.filter(
        stage=ProposalStage.APPROVED, offtake_material__isnull=False
    )


def monitoring_reports_visible_to(user) -> QuerySet[MonitoringReport]:
    if not is_agency(user):
        return MonitoringReport.objects.none()
    return MonitoringReport.objects.filter(stake__stage=ProposalStage.APPROVED)
