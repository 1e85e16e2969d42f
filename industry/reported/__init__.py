"""Contracts member firms concluded themselves and report back (docs/reported-contracts.md)."""
