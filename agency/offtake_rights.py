"""The hook by which an approved stake's offtake right becomes a draft offtake contract.

Contracts sit above the agency (docs/architecture.md): the agency never imports them. The contracts
app registers its drafting service here in its ready(); the approval service calls it inside the
approving transaction, so the stake and its draft contract are written together (docs/stakes.md).
"""

from __future__ import annotations

_drafter = None


def register_drafter(drafter) -> None:
    """``drafter(stake=..., actor=...)`` creates the draft contract of an approved stake with an
    offtake right and returns it, or returns None with nothing written when it cannot yet (no
    demand round collects the material for the right's years); it is safe to call twice."""
    global _drafter
    _drafter = drafter


def draft_contract(*, stake, actor):
    if _drafter is None or not stake.has_offtake_right:
        return None
    return _drafter(stake=stake, actor=actor)
