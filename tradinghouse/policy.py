"""Who may see and do what with procurement positions: the one place in tradinghouse that reads a
user's role. Selectors, views and the API ask this module; templates ask
``can.tradinghouse.<flag>`` (:func:`capabilities`, registered in ``TradinghouseConfig.ready()``).

The rules (docs/roles-and-visibility.md): the trading desk (trustee of the individual lines) and the
agency read every cell of a position set with the reason a cell is hidden; members and the
ministry read disclosed cells only, a member beside them its own firm's demand. The desk alone
starts aggregations, sees rounds that wait for their first aggregation and the largest firm's
share of a cell. Anyone else, and any role added later, sees what the ministry sees at most:
whatever is not granted here is denied.
"""

from __future__ import annotations

from rohstoff.core.models import Role

TRUSTEE_ROLES = frozenset({Role.TRADING_DESK, Role.AGENCY_ANALYST, Role.AGENCY_APPROVER})
MEMBER_ROLES = frozenset({Role.MEMBER, Role.MEMBER_ADMIN})
POSITION_READER_ROLES = TRUSTEE_ROLES | MEMBER_ROLES | {Role.MINISTRY_VIEWER}


def _role(user) -> str | None:
    if not (user is not None and getattr(user, "is_authenticated", False)):
        return None
    return user.role or None


def reads_positions(user) -> bool:
    """Reads position sets at all (disclosure applied for those who are not trustees)."""
    return _role(user) in POSITION_READER_ROLES


def is_trustee(user) -> bool:
    """The desk (trustee of the individual lines) and the agency see every cell and its reason."""
    return _role(user) in TRUSTEE_ROLES


def runs_aggregation(user) -> bool:
    """Starts an aggregation, sees its jobs and the rounds still waiting for one: the desk."""
    return _role(user) == Role.TRADING_DESK


def sees_largest_firm(user) -> bool:
    """The largest firm's share of a cell (why the p% rule hides it): the desk only."""
    return _role(user) == Role.TRADING_DESK


def reads_own_firm_share(user) -> bool:
    """Its own firm's demand beside the disclosed pool: a member firm's user."""
    return _role(user) in MEMBER_ROLES and bool(user.organisation_id)


def dashboard_kind(user) -> str:
    """Which dashboard a reader gets: ``trustee`` (every cell and its reason), ``member`` (its
    own demand against the disclosed pool) or ``public`` (disclosed cells only, the ministry's
    view). A reader the rules above do not name gets ``public``."""
    if is_trustee(user):
        return "trustee"
    if reads_own_firm_share(user):
        return "member"
    return "public"


def reader_view(user) -> str:
    """The key part of the dashboard cache: readers who see exactly the same of a position set
    share an entry. The desk and the agency differ (the desk sees the largest firm's share); each
    member firm sees its own demand; the ministry sees disclosed cells. Any other reader shares
    nothing with anyone."""
    if runs_aggregation(user):
        return "desk"
    if is_trustee(user):
        return "agency"
    if reads_own_firm_share(user):
        return f"member-{user.organisation_id}"
    if _role(user) == Role.MINISTRY_VIEWER:
        return "ministry"
    return f"user-{user.pk}"


def capabilities(user) -> dict[str, bool]:
    """``can.tradinghouse.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read_positions": reads_positions(user),
        "trustee": is_trustee(user),
        "aggregate": runs_aggregation(user),
        "see_largest_firm": sees_largest_firm(user),
        "read_own_share": reads_own_firm_share(user),
        "public_view": reads_positions(user) and dashboard_kind(user) == "public",
    }
