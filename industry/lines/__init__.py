"""Demand lines: one firm's demand per material, grade, period and delivery country; the rules of
one line, its entry by the member and its screening by the desk."""
