"""Demo offtakes (``manage.py seed_demo``): fictional counterparties (three in the EU: a Finnish
refinery, a Portuguese lithium mine and a German magnet recycler), price indices with clearly
fictional values, FX rates entered "by the desk", contracts serving the demo's closed round with
schedules and deliveries (one quarter late, one short), and allocations. Everything goes through
the services, so audit events exist. Safe to run twice.

``seed(context)`` needs the rounds (context["rounds"], from industry) and the agency's projects;
``seed_allocations(context)`` needs the closed round's positions (tradinghouse aggregates it).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from agency.models import Project
from industry.models import DemandRound
from rohstoff.core.models import Material

from . import policy
from .allocations import services as allocation_services
from .counterparties import services as counterparty_services
from .deliveries import services as delivery_services
from .models import AllocationRound, Counterparty, FxRate, OfftakeContract, PriceIndex
from .offtakes import services as offtake_services
from .prices import services as price_services
from .pricing import quarter_dates, quarter_of

DESK = "desk@handelshaus.example"
COUNTERPARTIES = [
    (
        "Yilgarn Rare Earths Ltd (fiktiv)",
        "producer",
        "AU",
        "Fiktiver Produzent von NdPr-Oxid, Westaustralien.",
    ),
    ("Salar Andino Litio SpA (fiktiv)", "producer", "CL", "Fiktiver Lithiumproduzent, Atacama."),
    (
        "Great Lakes Battery Recycling Inc. (fiktiv)",
        "recycler",
        "CA",
        "Fiktiver Batterierecycler, Ontario.",
    ),
    # EU sources, so the CRMA tracker shows extracted, processed and recycled shares
    # (docs/supply-security.md, "CRMA tracker").
    (
        "Pohjanmaan Litiumjalostamo Oy (fiktiv)",
        "refiner",
        "FI",
        "Fiktive Lithiumhydroxid-Raffinerie, Ostbottnien.",
    ),
    (
        "Lítio do Barroso Mineração Lda. (fiktiv)",
        "producer",
        "PT",
        "Fiktive Lithiummine mit Carbonat-Anlage, Trás-os-Montes.",
    ),
    (
        "Rheinische Magnetrecycling GmbH (fiktiv)",
        "recycler",
        "DE",
        "Fiktiver Recycler von NdFeB-Magneten, Leverkusen.",
    ),
]
# EU offtakes: reference, counterparty's country, material, grade, annual tonnes, price per t in
# EUR, incoterm and place; signed, over the closed round's first eight quarters.
EU_CONTRACTS = [
    (
        "OFF-2026-005",
        "FI",
        "lithium-hydroxide",
        "battery grade ≥ 56,5 % LiOH (EU-Raffinerie)",
        "40",
        "12900",
        "DAP",
        "Kokkola",
    ),
    (
        "OFF-2026-006",
        "PT",
        "lithium-carbonate",
        "battery grade ≥ 99,5 % Li2CO3",
        "25",
        "11500",
        "FCA",
        "Boticas",
    ),
    (
        "OFF-2026-007",
        "DE",
        "ndpr-oxide",
        "NdPr-Oxid ≥ 99 % TREO (Recyclat)",
        "6",
        "61000",
        "DAP",
        "Leverkusen",
    ),
]
# Clearly fictional demo values: licensed prices are never shipped with the software.
INDICES = [
    (
        "demo-lithium-hydroxide-cif-eu",
        "Lithiumhydroxid CIF Europa (Demo-Werte)",
        "Demo",
        "lithium-hydroxide",
        "USD",
        "kg",
        Decimal("11.50"),
    ),
    (
        "demo-ndpr-oxide-fob-asia",
        "NdPr-Oxid FOB Asien (Demo-Werte)",
        "Demo",
        "ndpr-oxide",
        "USD",
        "kg",
        Decimal("68.00"),
    ),
    (
        "demo-lithium-carbonate-cif-eu",
        "Lithiumcarbonat CIF Europa (Demo-Werte)",
        "Demo",
        "lithium-carbonate",
        "USD",
        "t",
        Decimal("10800"),
    ),
]
FX = {
    "USD": Decimal("1.0850"),
    "AUD": Decimal("1.6420"),
    "CAD": Decimal("1.4870"),
    "CNY": Decimal("7.8300"),
}


def _weekdays(start: datetime.date, end: datetime.date, step: int = 7):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=step)


def _prices(desk, today):
    indices = {}
    for code, name, provider, material, currency, unit, base in INDICES:
        index = PriceIndex.objects.filter(code=code).first()
        if index is None:
            index = price_services.index_create(
                actor=desk,
                code=code,
                name=name,
                provider=provider,
                material=Material.objects.get(code=material),
                currency=currency,
                unit=unit,
            )
            # Weekly values over the last nine months, a gentle made-up wave around the base.
            for n, day in enumerate(_weekdays(today - datetime.timedelta(days=270), today)):
                wave = Decimal((n % 12) - 6) / 100
                price_services.index_value_set(
                    actor=desk,
                    index=index,
                    date=day,
                    value=(base * (1 + wave)).quantize(Decimal("0.01")),
                )
        indices[code] = index
    for currency, rate in FX.items():
        for n, day in enumerate(_weekdays(today - datetime.timedelta(days=120), today, step=14)):
            if FxRate.objects.filter(currency=currency, date=day).exists():
                continue
            price_services.fx_rate_set(
                actor=desk,
                currency=currency,
                date=day,
                per_eur=(rate * (1 + Decimal(n % 4 - 2) / 200)).quantize(Decimal("0.0001")),
            )
    return indices


def _contract(desk, reference, **terms):
    contract = OfftakeContract.objects.filter(reference=reference).first()
    if contract is None:
        contract = offtake_services.contract_create(actor=desk, reference=reference, **terms)
    return contract


def _sign(desk, contract, *, signed_on, activate=False):
    if contract.state == "draft":
        contract = offtake_services.contract_transition(
            contract=contract, actor=desk, to_state="negotiating"
        )
    if contract.state == "negotiating":
        contract = offtake_services.contract_transition(
            contract=contract, actor=desk, to_state="signed", signed_on=signed_on
        )
    if activate and contract.state == "signed":
        contract = offtake_services.contract_transition(
            contract=contract, actor=desk, to_state="active"
        )
    return contract


def seed(context: dict) -> dict:
    users = context["users"]
    desk = users[DESK]
    today = timezone.localdate()
    closed = (context.get("rounds") or {}).get("closed") or DemandRound.objects.exclude(
        state__in=["draft", "open"]
    ).order_by("opens_at").first()
    if closed is None:
        return context
    counterparties = {}
    for name, kind, country, notes in COUNTERPARTIES:
        counterparties[country] = Counterparty.objects.filter(
            name=name
        ).first() or counterparty_services.counterparty_save(
            actor=desk, name=name, kind=kind, country=country, notes=notes
        )
    indices = _prices(desk, today)
    projects = {p.name: p for p in Project.objects.all()}
    material = {
        m.code: m
        for m in Material.objects.filter(
            code__in=["lithium-hydroxide", "lithium-carbonate", "ndpr-oxide", "terbium-oxide"]
        )
    }
    current = quarter_of(today)
    start = current + -2  # two quarters already over: one late, one short

    lioh = _contract(
        desk,
        "OFF-2026-001",
        counterparty=counterparties["CL"],
        round=closed,
        material=material["lithium-hydroxide"],
        grade="battery grade ≥ 56,5 % LiOH",
        start_quarter=start.index,
        end_quarter=closed.last_quarter,
        annual_volume_t=Decimal("80"),
        tolerance_pct=Decimal("5"),
        take_or_pay_pct=Decimal("80"),
        lot_size_t=Decimal("1"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="USD",
        price_unit="t",
        pricing_type="index",
        index=indices["demo-lithium-hydroxide-cif-eu"],
        quotational_period="Q-1",
        premium=Decimal("500"),
        floor=Decimal("9000"),
        cap=Decimal("30000"),
        fee_type="percent",
        fee_value=Decimal("1.5"),
        project=projects.get("Salar Andino Lithium"),
    )
    if not lioh.schedule.exists():
        offtake_services.schedule_generate(contract=lioh, actor=desk)
    lioh = _sign(desk, lioh, signed_on=today - datetime.timedelta(days=200), activate=True)
    if not lioh.deliveries.exists():
        # start quarter: nothing arrived (late); the next one: 12 of 20 t (short).
        short_q = start + 1
        _first, last = quarter_dates(short_q)
        delivery_services.delivery_record(
            contract=lioh,
            actor=desk,
            quarter=short_q.index,
            delivered_on=min(last, today) - datetime.timedelta(days=20),
            quantity_t=Decimal("12"),
            assay="LiOH 56,8 %, CO3 0,6 %",
            provisional_pct=Decimal("90"),
            provisional_price=Decimal("12400"),
        )

    li2co3 = _contract(
        desk,
        "OFF-2026-002",
        counterparty=counterparties["CA"],
        round=closed,
        material=material["lithium-carbonate"],
        grade="battery grade ≥ 99,5 % Li2CO3 (Recyclat)",
        start_quarter=closed.first_quarter,
        end_quarter=closed.first_quarter + 7,
        annual_volume_t=Decimal("40"),
        tolerance_pct=Decimal("10"),
        take_or_pay_pct=Decimal("0"),
        lot_size_t=Decimal("0.5"),
        incoterm="DAP",
        incoterm_place="Duisburg",
        currency="EUR",
        price_unit="t",
        pricing_type="fixed",
        fixed_price=Decimal("11800"),
        fee_type="per_unit",
        fee_value=Decimal("150"),
        project=projects.get("Great Lakes Black Mass Recycling"),
    )
    if not li2co3.schedule.exists():
        offtake_services.schedule_generate(contract=li2co3, actor=desk)
    li2co3 = _sign(desk, li2co3, signed_on=today - datetime.timedelta(days=60))

    ndpr = _contract(
        desk,
        "OFF-2026-003",
        counterparty=counterparties["AU"],
        round=closed,
        material=material["ndpr-oxide"],
        grade="NdPr-Oxid ≥ 99 % TREO",
        start_quarter=closed.first_quarter,
        end_quarter=closed.first_quarter + 11,
        annual_volume_t=Decimal("24"),
        tolerance_pct=Decimal("5"),
        take_or_pay_pct=Decimal("50"),
        lot_size_t=Decimal("0.1"),
        incoterm="FOB",
        incoterm_place="Fremantle",
        currency="USD",
        price_unit="kg",
        pricing_type="index",
        index=indices["demo-ndpr-oxide-fob-asia"],
        quotational_period="Q",
        premium=Decimal("-2"),
        floor=Decimal("55"),
        cap=Decimal("95"),
        fee_type="percent",
        fee_value=Decimal("2"),
        project=projects.get("Yilgarn Rare Earths Project"),
    )
    if not ndpr.schedule.exists():
        offtake_services.schedule_generate(contract=ndpr, actor=desk)
    ndpr = _sign(desk, ndpr, signed_on=today - datetime.timedelta(days=30))

    terbium = _contract(
        desk,
        "OFF-2027-004",
        counterparty=counterparties["AU"],
        round=closed,
        material=material["terbium-oxide"],
        grade="Tb4O7 ≥ 99,9 %",
        start_quarter=closed.first_quarter + 4,
        end_quarter=closed.first_quarter + 7,
        annual_volume_t=Decimal("5"),
        tolerance_pct=Decimal("5"),
        take_or_pay_pct=Decimal("0"),
        lot_size_t=Decimal("0.01"),
        incoterm="CIF",
        incoterm_place="Rotterdam",
        currency="USD",
        price_unit="kg",
        pricing_type="fixed",
        fixed_price=Decimal("1100"),
        fee_type="percent",
        fee_value=Decimal("2"),
        project=projects.get("Yilgarn Rare Earths Project"),
    )
    if terbium.state == "draft":
        terbium = offtake_services.contract_transition(
            contract=terbium, actor=desk, to_state="negotiating"
        )
    eu = {}
    for reference, country, code, grade, annual_t, price, incoterm, place in EU_CONTRACTS:
        contract = _contract(
            desk,
            reference,
            counterparty=counterparties[country],
            round=closed,
            material=material[code],
            grade=grade,
            start_quarter=closed.first_quarter,
            end_quarter=closed.first_quarter + 7,
            annual_volume_t=Decimal(annual_t),
            tolerance_pct=Decimal("5"),
            take_or_pay_pct=Decimal("50"),
            lot_size_t=Decimal("0.5"),
            incoterm=incoterm,
            incoterm_place=place,
            currency="EUR",
            price_unit="t",
            pricing_type="fixed",
            fixed_price=Decimal(price),
            fee_type="percent",
            fee_value=Decimal("1"),
        )
        if not contract.schedule.exists():
            offtake_services.schedule_generate(contract=contract, actor=desk)
        eu[reference] = _sign(desk, contract, signed_on=today - datetime.timedelta(days=45))
    context["contracts"] = {
        "lioh": lioh,
        "li2co3": li2co3,
        "ndpr": ndpr,
        "terbium": terbium,
        "eu": eu,
    }
    return context


def seed_allocations(context: dict) -> dict:
    """Allocations once the closed round has positions: the lithium hydroxide offtake released
    (some shares confirmed, one declined, the rest awaiting an answer), the lithium carbonate one
    as the desk's draft."""
    from tradinghouse.models import PositionSet

    desk = context["users"][DESK]
    contracts = context.get("contracts") or {}
    lioh, li2co3 = contracts.get("lioh"), contracts.get("li2co3")
    if lioh is None or not PositionSet.objects.filter(round=lioh.round, is_current=True).exists():
        return context
    if not lioh.allocation_rounds.exists():
        draft = allocation_services.allocation_preview(contract=lioh, actor=desk)
        released = allocation_services.allocation_release(
            allocation_round=draft,
            actor=desk,
            respond_by=timezone.now() + datetime.timedelta(days=10),
        )
        users = {
            u.organisation_id: u for u in context["users"].values() if policy.answers_allocations(u)
        }
        allocations = list(
            released.allocations.filter(quantity_t__gt=0).order_by("quarter", "organisation_id")
        )
        firms = sorted({a.organisation_id for a in allocations})
        first_quarter = allocations[0].quarter if allocations else None
        for a in allocations:
            user = users.get(a.organisation_id)
            if user is None:
                continue
            if a.quarter == first_quarter and a.organisation_id == firms[-1]:
                allocation_services.allocation_respond(allocation=a, actor=user, accept=False)
            elif a.organisation_id == firms[0] and a.quarter < first_quarter + 8:
                a.refresh_from_db()
                if a.state == "proposed":
                    allocation_services.allocation_respond(allocation=a, actor=user, accept=True)
    if (
        li2co3 is not None
        and not li2co3.allocation_rounds.filter(
            state__in=[AllocationRound.State.DRAFT, AllocationRound.State.RELEASED]
        ).exists()
    ):
        allocation_services.allocation_preview(contract=li2co3, actor=desk)
    return context
