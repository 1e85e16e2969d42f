"""Fixtures of the stockpile and scenario tests: locations with holdings, targets, a second
approver, and an aggregated round whose cells and contracts a test writes by hand."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.periods import Quarter

TODAY = datetime.date(2026, 11, 29)  # in 2026-Q4: the next four quarters are 2027-Q1..Q4


@pytest.fixture
def approver2(make_user, make_org):
    return make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver2@agency.example"
    )


@pytest.fixture
def approver3(make_user, make_org):
    return make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver3@agency.example"
    )


@pytest.fixture
def location(db):
    from agency.models import Location

    return Location.objects.create(name="Lager Duisburg", country="DE")


@pytest.fixture
def stock(analyst, location):
    """stock(material, tonnes, location=None): books a purchase."""
    from agency.stockpile import services

    def book(material, tonnes, where=None):
        return services.purchase_book(
            actor=analyst,
            location=where or location,
            material=material,
            quantity_t=Decimal(tonnes),
            reason="Kauf",
        )

    return book


@pytest.fixture
def scenario_round(desk, lioh, li2co3):
    """An aggregated round 2027-Q1..2028-Q4 for lithium hydroxide and carbonate."""
    from industry.models import DemandRound

    now = timezone.now()
    r = DemandRound.objects.create(
        title="Runde Szenario",
        first_quarter=Quarter(2027, 1).index,
        last_quarter=Quarter(2028, 4).index,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
        state="aggregated",
        created_by=desk,
    )
    r.materials.set([lioh, li2co3])
    return r


@pytest.fixture
def cells(scenario_round):
    """cells(material, {quarter: demand_t}, contracted={quarter: t}, hidden=(), parts_hidden=()):
    writes the current set's cells by hand (five contributors, disclosed unless named)."""
    from tradinghouse.models import PositionCell, PositionSet

    def write(material, demand, contracted=None, hidden=(), parts_hidden=()):
        position_set, _ = PositionSet.objects.get_or_create(
            round=scenario_round,
            is_current=True,
            defaults={"min_firms": 5, "p_rule": Decimal("0.1")},
        )
        for quarter, tonnes in demand.items():
            q = Quarter.parse(quarter)
            shown = quarter not in hidden
            parts = shown and quarter not in parts_hidden
            PositionCell.objects.create(
                position_set=position_set,
                material=material,
                quarter=q.index,
                demand_t=Decimal(tonnes),
                demand_firm_t=Decimal(tonnes),
                demand_indicative_t=Decimal(0),
                contributors=5,
                largest_share=Decimal("0.3"),
                disclosed=shown,
                hidden_reason="" if shown else "few_firms",
                firm_disclosed=parts,
                indicative_disclosed=parts,
                contracted_t=Decimal((contracted or {}).get(quarter, 0)),
            )
        return position_set

    return write


@pytest.fixture
def contract(desk, scenario_round, lioh):
    """contract(country, {quarter: t}, project_country=None, material=lioh): a signed contract
    with that schedule; with ``project_country`` linked to an agency project there."""
    from agency.models import Project
    from contracts.models import Counterparty, OfftakeContract, ScheduleEntry

    counter = {"n": 0}

    def make(country, schedule, project_country=None, material=None, state="signed"):
        counter["n"] += 1
        counterparty = Counterparty.objects.create(
            name=f"Lieferant {counter['n']}", kind="producer", country=country
        )
        project = None
        if project_country:
            project = Project.objects.create(
                name=f"Projekt {counter['n']}",
                operator="Betreiber",
                country=project_country,
                stage="production",
            )
        quarters = [Quarter.parse(q).index for q in schedule]
        c = OfftakeContract.objects.create(
            reference=f"OFF-S-{counter['n']:03d}",
            counterparty=counterparty,
            round=scenario_round,
            material=material or lioh,
            start_quarter=min(quarters),
            end_quarter=max(quarters),
            annual_volume_t=Decimal("100"),
            incoterm="CIF",
            incoterm_place="Hamburg",
            currency="EUR",
            price_unit="t",
            pricing_type="fixed",
            fixed_price=Decimal("12000"),
            project=project,
            state=state,
            signed_on=datetime.date(2026, 6, 1),
            created_by=desk,
        )
        for q, t in schedule.items():
            ScheduleEntry.objects.create(
                contract=c, quarter=Quarter.parse(q).index, quantity_t=Decimal(t)
            )
        return c

    return make
