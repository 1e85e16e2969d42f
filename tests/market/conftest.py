"""Fixtures of the market tests: an aggregated round whose positions are published (a disclosed
cell of six firms and a hidden cell of ONE firm, whose demand a supplier must never learn), prices,
suppliers linked to counterparties, a call and offers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rohstoff.core.periods import Quarter

Q1, Q2 = Quarter(2027, 1).index, Quarter(2027, 2).index
SECRET_T = Decimal("4321.987654")  # the one firm's demand in the hidden cell


def disclosed_cell(position_set, material, quarter, demand):
    """A published cell of six firms, all of it firm demand, disclosed whole."""
    from tradinghouse.models import PositionCell

    return PositionCell.objects.create(
        position_set=position_set,
        material=material,
        quarter=quarter,
        demand_t=demand,
        demand_firm_t=demand,
        demand_indicative_t=0,
        contributors=6,
        firm_contributors=6,
        largest_share=Decimal("0.2"),
        disclosed=True,
        firm_disclosed=True,
        indicative_disclosed=True,
    )


@pytest.fixture
def lioh(db):
    from rohstoff.core.models import Material

    return Material.objects.get(code="lithium-hydroxide")


@pytest.fixture
def li2co3(db):
    from rohstoff.core.models import Material

    return Material.objects.get(code="lithium-carbonate")


@pytest.fixture
def world(desk, firm_a, lioh, li2co3, make_org):
    """The round, its published set: LiOH Q1 and Q2 disclosed (6 firms), Li2CO3 Q1 hidden (firm A
    alone, SECRET_T)."""
    from industry.models import DemandLine, DemandRound
    from tradinghouse.models import FirmPosition, PositionCell, PositionSet

    now = timezone.now()
    r = DemandRound.objects.create(
        title="Runde 2027",
        first_quarter=Q1,
        last_quarter=Quarter(2027, 4).index,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=2),
        state="aggregated",
        created_by=desk,
    )
    r.materials.set([lioh, li2co3])
    ps = PositionSet.objects.create(
        round=r, is_current=True, published_at=now, min_firms=3, p_rule=Decimal("0.1")
    )
    for q, demand in ((Q1, Decimal("600")), (Q2, Decimal("300"))):
        disclosed_cell(ps, lioh, q, demand)
    PositionCell.objects.create(
        position_set=ps,
        material=li2co3,
        quarter=Q1,
        demand_t=SECRET_T,
        demand_firm_t=SECRET_T,
        demand_indicative_t=0,
        contributors=1,
        firm_contributors=1,
        largest_share=Decimal("1"),
        disclosed=False,
        hidden_reason="few_firms",
    )
    FirmPosition.objects.create(
        position_set=ps,
        organisation=firm_a,
        material=li2co3,
        quarter=Q1,
        demand_t=SECRET_T,
        demand_firm_t=SECRET_T,
        demand_indicative_t=0,
    )
    DemandLine.objects.create(
        round=r,
        organisation=firm_a,
        material=li2co3,
        period="2027-Q1",
        first_quarter=Q1,
        is_year=False,
        quantity=SECRET_T,
        unit="t",
        quantity_t=SECRET_T,
        commitment="firm",
        delivery_country="DE",
        entered_by=desk,
    )
    return r


@pytest.fixture
def fx(desk):
    from contracts.models import FxRate

    FxRate.objects.create(
        currency="USD", date=datetime.date(2026, 11, 1), per_eur=Decimal("1.10"), entered_by=desk
    )


@pytest.fixture
def make_supplier(make_org, make_user, desk):
    from contracts.models import Counterparty
    from market.models import SupplierLink

    def make(name, country, *, member_group=None):
        org = make_org(name, "supplier")
        org.country = country
        org.save()
        cp = Counterparty.objects.create(name=f"{name} Ltd", kind="producer", country=country)
        SupplierLink.objects.create(organisation=org, counterparty=cp, member_group=member_group)
        user = make_user("supplier", org=org, email=f"angebot@{name.lower()}.example")
        return user

    return make


@pytest.fixture
def supplier(make_supplier):
    return make_supplier("Andes", "CL")


@pytest.fixture
def supplier_b(make_supplier):
    return make_supplier("Nordic", "FI")


@pytest.fixture
def call(world, desk, supplier, supplier_b):
    """A call addressed to every linked supplier (both of them)."""
    from market import services

    return services.call_open(
        actor=desk,
        round=world,
        title="Aufruf Lithium 2027",
        deadline=timezone.now() + datetime.timedelta(days=7),
        terms="Lieferung DAP Hamburg.",
        specifications="LiOH battery grade ≥ 56.5 %",
    )


@pytest.fixture
def offer_data(lioh):
    def make(**over):
        data = {
            "material": lioh,
            "minimum_t": Decimal("0"),
            "currency": "EUR",
            "price_unit": "t",
            "pricing_type": "fixed",
            "fixed_price": Decimal("15000"),
            "incoterm": "DAP",
            "incoterm_place": "Hamburg",
            "origin_country": "CL",
            "origin_stage": "refined",
            "esg": "",
        }
        data.update(over)
        return data

    return make


@pytest.fixture
def make_offer(offer_data):
    from market import services

    def make(user, call, quarters=None, **over):
        return services.offer_save(
            actor=user,
            call=call,
            quarters=quarters or {Q1: Decimal("400"), Q2: Decimal("200")},
            **offer_data(**over),
        )

    return make


def close(call):
    """Move the call's deadline into the past (as the clock would)."""
    from market.models import Call

    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    call.refresh_from_db()
    return call
