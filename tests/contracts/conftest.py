"""Fixtures of the contract tests: an aggregated round with firm positions, counterparties,
contracts with schedules, and a helper that signs them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.periods import Quarter


@pytest.fixture
def lioh(db):
    from rohstoff.core.models import Material

    return Material.objects.get(code="lithium-hydroxide")


@pytest.fixture
def li2co3(db):
    from rohstoff.core.models import Material

    return Material.objects.get(code="lithium-carbonate")


@pytest.fixture
def demand_round(desk, lioh, li2co3):
    """An aggregated round 2027-Q1..2028-Q4 for lithium hydroxide and carbonate."""
    from industry.models import DemandRound

    now = timezone.now()
    r = DemandRound.objects.create(
        title="Runde Test",
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
def positions(demand_round):
    """positions({org: t, ...}, material, quarters): writes the current set's firm demand."""
    from tradinghouse.models import FirmPosition, PositionCell, PositionSet

    def write(demand: dict, material, quarters, indicative=Decimal(0)):
        position_set = PositionSet.objects.filter(round=demand_round, is_current=True).first()
        if position_set is None:
            position_set = PositionSet.objects.create(
                round=demand_round, is_current=True, min_firms=5, p_rule=Decimal("0.1")
            )
        for q in quarters:
            total = Decimal(0)
            for org, firm_t in demand.items():
                FirmPosition.objects.create(
                    position_set=position_set,
                    organisation=org,
                    material=material,
                    quarter=q,
                    demand_t=firm_t + indicative,
                    demand_firm_t=firm_t,
                    demand_indicative_t=indicative,
                )
                total += firm_t + indicative
            cell, _ = PositionCell.objects.get_or_create(
                position_set=position_set,
                material=material,
                quarter=q,
                defaults={
                    "demand_t": 0,
                    "demand_firm_t": 0,
                    "demand_indicative_t": 0,
                    "contributors": 0,
                    "largest_share": Decimal("0.5"),
                    "disclosed": True,
                },
            )
            cell.demand_t += total
            cell.demand_firm_t += total - indicative * len(demand)
            cell.demand_indicative_t += indicative * len(demand)
            cell.contributors += len(demand)
            cell.save()
        return position_set

    return write


@pytest.fixture
def counterparty(db):
    from contracts.models import Counterparty

    return Counterparty.objects.create(name="Salar Andino Litio SpA", kind="producer", country="CL")


@pytest.fixture
def make_contract(desk, counterparty, demand_round, lioh):
    """make_contract(**terms): a draft fixed-price lithium hydroxide contract for 2027 (40 t/y)."""
    from contracts.offtakes import services as offtake_services

    counter = {"n": 0}

    def make(**terms):
        counter["n"] += 1
        data = {
            "reference": f"OFF-T-{counter['n']:03d}",
            "counterparty": counterparty,
            "round": demand_round,
            "material": lioh,
            "start_quarter": Quarter(2027, 1).index,
            "end_quarter": Quarter(2027, 4).index,
            "annual_volume_t": Decimal("40"),
            "tolerance_pct": Decimal("5"),
            "take_or_pay_pct": Decimal("0"),
            "lot_size_t": Decimal("1"),
            "incoterm": "CIF",
            "incoterm_place": "Hamburg",
            "currency": "EUR",
            "price_unit": "t",
            "pricing_type": "fixed",
            "fixed_price": Decimal("12000"),
            "fee_type": "percent",
            "fee_value": Decimal("2"),
        }
        data.update(terms)
        return offtake_services.contract_create(actor=desk, **data)

    return make


@pytest.fixture
def sign(desk):
    """sign(contract, signed_on=None, schedule=None): schedule (even by default), negotiate and sign."""
    from contracts.offtakes import services as offtake_services

    def do(contract, signed_on=None, schedule=None, activate=False):
        if schedule is None:
            offtake_services.schedule_generate(contract=contract, actor=desk)
        else:
            offtake_services.schedule_set(contract=contract, actor=desk, entries=schedule)
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
        contract = offtake_services.contract_transition(
            contract=contract,
            actor=desk,
            to_state="signed",
            signed_on=signed_on or datetime.date(2026, 1, 15),
        )
        if activate:
            contract = offtake_services.contract_transition(
                contract=contract, actor=desk, to_state="active"
            )
        return contract

    return do


@pytest.fixture
def firms(make_org):
    """Five member firms with increasing ids."""
    return [make_org(f"Firma {i} GmbH", "member") for i in range(1, 6)]


@pytest.fixture(autouse=True)
def _english_messages():
    """Services outside a request speak the default language (German); these tests read the
    English source messages. Pages choose their language per request, as users do."""
    from django.utils import translation

    with translation.override("en"):
        yield
