"""The matching engine (docs/matching.md): offers against a call's open demand, pure and
database-free."""

from .engine import (
    DEFAULT_LIMIT,
    Allocation,
    CellOutcome,
    DemandCell,
    MatchingInputError,
    MatchResult,
    Note,
    Offer,
    OfferOutcome,
    OfferQuarter,
    check_invariants,
    match,
)

__all__ = [
    "DEFAULT_LIMIT",
    "Allocation",
    "CellOutcome",
    "DemandCell",
    "MatchResult",
    "MatchingInputError",
    "Note",
    "Offer",
    "OfferOutcome",
    "OfferQuarter",
    "check_invariants",
    "match",
]
