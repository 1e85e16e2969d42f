import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.contracts.conftest import counterparty, demand_round, li2co3, lioh, make_contract  # noqa: F401


@pytest.fixture
def project(db, analyst):
    from agency.projects.services import project_save
    from rohstoff.core.models import Material

    return project_save(
        actor=analyst,
        name="Kwinana Lithium Refinery",
        operator="Kwinana Lithium Pty Ltd",
        country="AU",
        stage="construction",
        capex=Decimal("800000000"),
        capex_currency="AUD",
        capacities=[
            {
                "material": Material.objects.get(code="lithium-hydroxide"),
                "capacity_t_per_year": Decimal("24000"),
                "production_start_year": 2027,
            }
        ],
    )


@pytest.fixture
def make_stake(db, analyst):
    """make_stake(project, stage="approved", ...): a proposal written with the ORM (the stake
    workflow's services are tested on their own)."""
    from agency.models import StakeProposal
    from rohstoff.core.models import Material

    def make(project, *, stage="approved", instrument="equity", amount="50000000", **fields):
        values = {
            "project": project,
            "instrument": instrument,
            "amount": Decimal(amount),
            "currency": "EUR",
            "amount_eur": Decimal(amount),
            "author": analyst,
            "stage": stage,
            "equity_share_pct": Decimal("20") if instrument == "equity" else None,
        }
        if stage == "approved":
            values["decided_at"] = timezone.now() - datetime.timedelta(days=200)
        if fields.pop("offtake", True):
            values.update(
                offtake_material=Material.objects.get(code="lithium-hydroxide"),
                offtake_t_per_year=Decimal("5000"),
                offtake_first_year=2028,
                offtake_last_year=2035,
            )
        values.update(fields)
        return StakeProposal.objects.create(**values)

    return make
