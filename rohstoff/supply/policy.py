"""Who may read what of supply security: the one place in the supply app that reads a user's
role (docs/supply-security.md, "Who sees what"). Reference data, world concentration and the
shares of the CRMA tracker are for every role; the contracted tonnes behind them only for the
trustees who see every position cell (desk and agency, tradinghouse's ``is_trustee``): per
material and quarter they are the contracted tonnes of a position cell, which disclosure control
hides from members and the ministry where the cell or its parts are hidden. The printable
briefing is for the ministry, the agency and the desk."""

from __future__ import annotations

from tradinghouse.policy import is_trustee


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role)


def reads_supply(user) -> bool:
    return _signed_in(user)


def reads_contracted_tonnes(user) -> bool:
    return _signed_in(user) and is_trustee(user)


def reads_briefing(user) -> bool:
    return _signed_in(user) and (user.is_ministry or user.is_agency or user.is_desk)


def capabilities(user) -> dict[str, bool]:
    """``can.supply.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read": reads_supply(user),
        "read_tonnes": reads_contracted_tonnes(user),
        "briefing": reads_briefing(user),
    }
