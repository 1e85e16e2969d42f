"""Who may see and do what with the stockpile and the export-stop scenarios: the one place that
reads a user's role for them. Selectors, views and the API ask this module; templates ask
``can.stockpile.<flag>`` (:func:`capabilities`, registered in ``AgencyConfig.ready()``).

The rules (docs/stockpile.md, docs/scenarios.md): the agency reads and writes the stockpile
(tonnes, days of cover, movements); releases are approved by agency approvers only
(docs/four-eyes.md). The ministry sees each material's band and nothing else of the stockpile.
The agency, the desk and the ministry run export-stop scenarios; the agency sees the stockpile's
tonnes and days in them, the desk and the ministry only bands (the desk sees no stockpile level);
the ministry runs them on disclosed cells only (tradinghouse.policy.is_trustee decides that).
"""

from __future__ import annotations

from rohstoff.core.models import Role

AGENCY_ROLES = frozenset({Role.AGENCY_ANALYST, Role.AGENCY_APPROVER})
BAND_READER_ROLES = AGENCY_ROLES | {Role.MINISTRY_VIEWER}
SCENARIO_ROLES = AGENCY_ROLES | {Role.TRADING_DESK, Role.MINISTRY_VIEWER}


def _role(user) -> str | None:
    if not (user is not None and getattr(user, "is_authenticated", False)):
        return None
    return user.role or None


def reads_stockpile(user) -> bool:
    """Holdings in tonnes, days of cover, movements, releases: the agency."""
    return _role(user) in AGENCY_ROLES


def writes_stockpile(user) -> bool:
    """Books purchases and rotations, proposes and changes releases, sets targets."""
    return _role(user) in AGENCY_ROLES


def decides_releases(user) -> bool:
    """May approve or reject a release at all (the four-eyes service checks the rest)."""
    return _role(user) == Role.AGENCY_APPROVER


def reads_bands(user) -> bool:
    """Each material's band (below target, within, above), never tonnes or days."""
    return _role(user) in BAND_READER_ROLES


def runs_scenarios(user) -> bool:
    return _role(user) in SCENARIO_ROLES


def scenario_stockpile_detail(user) -> bool:
    """In a scenario's result: the stockpile's tonnes and the days it bridges (else bands only)."""
    return reads_stockpile(user)


def capabilities(user) -> dict[str, bool]:
    """``can.stockpile.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read": reads_stockpile(user),
        "write": writes_stockpile(user),
        "decide": decides_releases(user),
        "bands": reads_bands(user),
        "scenarios": runs_scenarios(user),
    }
