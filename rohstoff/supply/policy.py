"""Who may read what of supply security: the one place in the supply app that reads a user's
role (docs/supply-security.md, "Who sees what"). Reference data, world concentration and the
shares of the CRMA tracker are for every role; contracted tonnes behind them follow the offtake
book's aggregates (contracts' ``reads_book_totals``: desk, agency, ministry); the printable
briefing is for the ministry, the agency and the desk."""

from __future__ import annotations

from contracts import policy as contract_policy


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role)


def reads_supply(user) -> bool:
    return _signed_in(user)


def reads_contracted_tonnes(user) -> bool:
    return _signed_in(user) and contract_policy.reads_book_totals(user)


def reads_briefing(user) -> bool:
    return _signed_in(user) and (user.is_ministry or user.is_agency or user.is_desk)


def capabilities(user) -> dict[str, bool]:
    """``can.supply.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read": reads_supply(user),
        "read_tonnes": reads_contracted_tonnes(user),
        "briefing": reads_briefing(user),
    }
