import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.periods import Quarter
from tests.dashboards.test_role_home import published  # noqa: F401
from tests.industry.conftest import make_round, materials  # noqa: F401

AS_OF = datetime.date(2027, 2, 15)  # window 2027-Q1 .. 2028-Q1


@pytest.fixture
def reference(db, materials):  # noqa: F811
    from rohstoff.supply import services

    services.reference_data_load()


@pytest.fixture
def contract(desk, make_round):  # noqa: F811
    """contract(material, country, kind="producer", quarters={quarter: tonnes}, project=None)"""
    from contracts.models import Counterparty, OfftakeContract, ScheduleEntry

    state = {"n": 0, "round": None}

    def make(material, country, tonnes, *, kind="producer", project=None, round=None):
        state["n"] += 1
        if round is None:
            state["round"] = state["round"] or make_round(state="aggregated")
            round = state["round"]
        counterparty = Counterparty.objects.create(
            name=f"Lieferant {state['n']}", kind=kind, country=country
        )
        c = OfftakeContract.objects.create(
            reference=f"OFF-T-{state['n']}",
            counterparty=counterparty,
            round=round,
            material=material,
            start_quarter=Quarter(2027, 1).index,
            end_quarter=Quarter(2027, 4).index,
            annual_volume_t=Decimal("400"),
            incoterm="CIF",
            incoterm_place="Hamburg",
            currency="EUR",
            price_unit="t",
            pricing_type="fixed",
            fixed_price=Decimal("12000"),
            lot_size_t=Decimal("1"),
            project=project,
            state="signed",
            signed_on=timezone.localdate(),
            created_by=desk,
        )
        for quarter, t in tonnes.items():
            ScheduleEntry.objects.create(
                contract=c, quarter=Quarter.parse(quarter).index, quantity_t=Decimal(t)
            )
        return c

    return make


@pytest.fixture
def world(reference, published, materials, contract, make_round):  # noqa: F811
    lioh, ndpr = materials["lithium-hydroxide"], materials["ndpr-oxide"]
    from tradinghouse.models import PositionSet

    round = make_round(state="aggregated", title="Runde Lagebild")
    # With committed transactions (browser tests) closing the round ran a real aggregation of no
    # lines; the cells below replace it.
    PositionSet.objects.filter(round=round).delete()
    published(
        [
            (lioh, Quarter(2027, 1), "1234", "617", True, True),
            (lioh, Quarter(2027, 2), "4321", "100", False, False),  # hidden cell
            (ndpr, Quarter(2027, 1), "250", "50", True, True),
        ],
        round=round,
    )
    contract(lioh, "CL", {"2027-Q1": "70"}, round=round)
    contract(lioh, "DE", {"2027-Q1": "30"}, kind="refiner", round=round)
    return round
