"""Demand rounds: their window, deadline, terms and life cycle (draft, open, closed, aggregated)."""
