"""Form widgets shared by the contract forms. Numbers and quarters are read by the core fields
(``rohstoff.core.forms.LocalDecimalField`` and ``QuarterField``, docs/architecture.md)."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
