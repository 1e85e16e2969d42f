"""A platform with something in every corner of the API, and a token for each role.

``api_world`` builds it with the services: an open round with a member's line, an aggregated
round whose positions have disclosed and hidden cells, a signed contract with a schedule, a
delivery and an allocation released to the members, a price index, an FX rate, a project and a
finished job. ``object_ids`` maps each path parameter of the schema to a real id, so that
generated calls reach real objects and not only 404s.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

ROLE_USERS = {
    "member": "member_a",
    "member_admin": "member_admin_a",
    "agency_analyst": "analyst",
    "agency_approver": "approver",
    "trading_desk": "desk",
    "ministry_viewer": "ministry",
}


@pytest.fixture
def wsgi_in_test_transaction():
    """Calls through the WSGI app (not Django's test client) inside the test's transaction.

    Django closes the database connection at the end of every request; Django's test client
    switches that off while it runs, and so must a test that calls the WSGI app itself.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(
    request,
    wsgi_in_test_transaction,
    django_capture_on_commit_callbacks,
    desk,
    analyst,
    approver,
    ministry,
    member_a,
    member_admin_a,
    member_b,
):
    from agency.projects.services import project_save
    from contracts.allocations.services import allocation_preview, allocation_release
    from contracts.counterparties.services import counterparty_save
    from contracts.deliveries.services import delivery_record
    from contracts.offtakes.services import contract_create, contract_transition, schedule_generate
    from contracts.prices.services import fx_rate_set, index_create, index_value_set
    from contracts.pricing import quarter_of
    from industry.lines.services import line_enter
    from industry.models import DemandLine, DemandRound
    from industry.rounds.services import round_create, round_open, terms_accept
    from rohstoff.core.models import Job, Material, Organisation
    from rohstoff.core.periods import Quarter
    from rohstoff.core.services import api_token_create
    from tradinghouse.services import aggregation_start

    D = Decimal
    now = timezone.now()
    lioh = Material.objects.get(code="lithium-hydroxide")
    ndpr = Material.objects.get(code="ndpr-oxide")

    open_round = round_open(
        round=round_create(
            actor=desk,
            title="API round",
            materials=[lioh, ndpr],
            first_period=Quarter(2027, 1),
            last_period=Quarter(2028, 4),
            opens_at=now - datetime.timedelta(hours=1),
            closes_at=now + datetime.timedelta(days=14),
        ),
        actor=desk,
    )
    terms_accept(round=open_round, actor=member_a)
    line, _outcome = line_enter(
        round=open_round, actor=member_a, material=lioh, period="2027", quantity=D("40"), unit="t"
    )

    # Aggregated: six firms in the first quarters (disclosed), three in the last (hidden).
    first = quarter_of(timezone.localdate()) + -1
    closed = DemandRound.objects.create(
        title="API aggregated round",
        first_quarter=first.index,
        last_quarter=(first + 3).index,
        state="closed",
        opens_at=now - datetime.timedelta(days=60),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    closed.materials.set([lioh, ndpr])
    firms = [member_a.organisation, member_b.organisation] + [
        Organisation.objects.create(name=f"API Firma {i}", kind="member") for i in range(4)
    ]
    for n, firm in enumerate(firms):
        for q in range(4):
            if q == 3 and n >= 3:
                continue
            quarter = first + q
            for material in (lioh, ndpr):
                DemandLine.objects.create(
                    round=closed,
                    organisation=firm,
                    material=material,
                    period=str(quarter),
                    first_quarter=quarter.index,
                    is_year=False,
                    quantity=D(8 + n),
                    unit="t",
                    quantity_t=D(8 + n),
                    commitment="firm",
                    entered_by=desk,
                )
    with django_capture_on_commit_callbacks(execute=True):  # the job runs in-process
        job, _created = aggregation_start(round=closed, actor=desk)

    counterparty = counterparty_save(
        actor=desk, name="Salar Andino Litio SpA", kind="producer", country="CL"
    )
    index = index_create(
        actor=desk,
        code="api-lioh",
        name="LiOH CIF Europe (test)",
        provider="Test",
        material=lioh,
        currency="USD",
        unit="kg",
    )
    index_value_set(actor=desk, index=index, date=timezone.localdate(), value=D("11.5"))
    fx_rate_set(actor=desk, currency="USD", date=timezone.localdate(), per_eur=D("1.08"))
    project = project_save(
        actor=analyst,
        name="Salar Andino Lithium",
        operator="Salar Andino Litio SpA",
        country="CL",
        stage="construction",
        capacities=[{"material": lioh}],
    )
    contract = contract_create(
        actor=desk,
        reference="OFF-API-1",
        counterparty=counterparty,
        round=closed,
        material=lioh,
        start_quarter=first.index,
        end_quarter=(first + 3).index,
        annual_volume_t=D("40"),
        tolerance_pct=D("5"),
        take_or_pay_pct=D("80"),
        lot_size_t=D("1"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="USD",
        price_unit="t",
        pricing_type="index",
        index=index,
        quotational_period="Q-1",
        premium=D("500"),
        floor=D("9000"),
        cap=D("30000"),
        fee_type="percent",
        fee_value=D("1.5"),
        project=project,
    )
    contract_create(  # a fixed price: no quotational period
        actor=desk,
        reference="OFF-API-2",
        counterparty=counterparty,
        round=closed,
        material=lioh,
        start_quarter=first.index,
        end_quarter=(first + 3).index,
        annual_volume_t=D("8"),
        lot_size_t=D("1"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="EUR",
        price_unit="t",
        pricing_type="fixed",
        fixed_price=D("11800"),
    )
    schedule_generate(contract=contract, actor=desk)
    contract_transition(contract=contract, actor=desk, to_state="negotiating")
    contract_transition(contract=contract, actor=desk, to_state="signed")
    delivery = delivery_record(
        contract=contract,
        actor=desk,
        quarter=first.index,
        delivered_on=timezone.localdate() - datetime.timedelta(days=3),
        quantity_t=D("6"),
        provisional_price=D("12400"),
    )
    draft = allocation_preview(contract=contract, actor=desk)
    allocation_release(
        allocation_round=draft, actor=desk, respond_by=now + datetime.timedelta(days=7)
    )
    allocation = draft.allocations.filter(organisation=member_a.organisation).first()

    # The stockpile: a holding and a release in review; a saved export-stop scenario.
    from agency.models import Location
    from agency.scenarios.services import scenario_save
    from agency.stockpile.services import purchase_book, release_propose

    location = Location.objects.create(name="Lager API", country="DE")
    purchase_book(actor=analyst, location=location, material=lioh, quantity_t="50", reason="API")
    release = release_propose(
        actor=analyst, location=location, material=lioh, quantity_t="5", reason="API"
    )
    scenario = scenario_save(
        actor=analyst, name="Chile", round=closed, countries=["CL"], first=first + 1
    )
    proposal, stake = _stake_world(analyst, project, lioh)
    report = _monitoring_report(stake, analyst)

    from industry.reported.services import reported_contract_create

    reported = reported_contract_create(
        actor=member_a,
        material=lioh,
        origin_country="CL",
        unit="t",
        volumes=[(str(first), D("5"))],
    )

    users = {role: request.getfixturevalue(name) for role, name in ROLE_USERS.items()}
    users["supplier"] = request.getfixturevalue("make_user")(
        "supplier", email="angebot@schema.example"
    )
    call, offer, result = _market_world(desk, users["supplier"], closed, lioh)
    tokens = {role: api_token_create(user=user, name="schema")[1] for role, user in users.items()}
    return {
        "reported_contract": reported,
        "call": call,
        "offer": offer,
        "match": result,
        "users": users,
        "tokens": tokens,
        "open_round": open_round,
        "line": line,
        "closed_round": closed,
        "job": Job.objects.get(pk=job.pk),
        "contract": contract,
        "delivery": delivery,
        "counterparty": counterparty,
        "index": index,
        "project": project,
        "allocation": allocation,
        "release": release,
        "scenario": scenario,
        "proposal": proposal,
        "proposal_document": proposal.documents.first(),
        "stake": stake,
        "report": report,
    }


def _market_world(desk, supplier, round, lioh):
    """A call on the closed round (open for offers), the supplier's offer in it, and a matched
    result of that offer (written directly: matching needs the deadline passed)."""
    from contracts.models import Counterparty
    from market.models import Call, MatchRun, Offer, OfferQuarter, OfferResult, SupplierLink
    from tradinghouse.models import PositionSet

    position_set = PositionSet.objects.filter(round=round, is_current=True).first()
    SupplierLink.objects.create(
        organisation=supplier.organisation,
        counterparty=Counterparty.objects.create(
            name="Schema Mining", kind="producer", country="AU"
        ),
    )
    call = Call.objects.create(
        round=round,
        position_set=position_set,
        title="Schema",
        deadline=timezone.now() + datetime.timedelta(days=7),
        terms="Terms",
        opened_by=desk,
    )
    call.addressees.set([supplier.organisation])
    offer = Offer.objects.create(
        call=call,
        supplier=supplier.organisation,
        material=lioh,
        currency="EUR",
        pricing_type="fixed",
        fixed_price=Decimal("15000"),
        incoterm="DAP",
        incoterm_place="Hamburg",
        origin_country="AU",
        origin_stage="mined",
        submitted_by=supplier,
    )
    OfferQuarter.objects.create(offer=offer, quarter=round.first_quarter, volume_t=Decimal("5"))
    run = MatchRun.objects.create(call=call, limit=Decimal("0.65"))
    result = OfferResult.objects.create(
        run=run, offer=offer, status="none", offered_t=Decimal("5"), matched_t=Decimal("0")
    )
    return call, offer, result


def _stake_world(analyst, project, lioh):
    """A stake proposal in its draft (through the service) and an approved stake with an offtake
    right (written directly: approving takes two approvers and every document)."""
    from agency.models import StakeProposal
    from agency.stakes.services import proposal_create

    proposal = proposal_create(
        actor=analyst,
        project=project,
        instrument="shareholder_loan",
        amount=Decimal("50000000"),
        currency="EUR",
        offtake_shortfall_reason="Exploration stage",
    )
    stake = StakeProposal.objects.create(
        project=project,
        instrument="shareholder_loan",
        amount=Decimal("80000000"),
        currency="EUR",
        amount_eur=Decimal("80000000"),
        offtake_material=lioh,
        offtake_t_per_year=Decimal("1000"),
        offtake_first_year=2027,
        offtake_last_year=2028,
        author=analyst,
        stage="approved",
        decided_at=timezone.now(),
    )
    return proposal, stake


def _monitoring_report(stake, analyst):
    """A monitoring report of the approved stake (written directly)."""
    from agency.models import MonitoringReport
    from rohstoff.core.periods import Quarter

    return MonitoringReport.objects.create(
        stake=stake,
        quarter=Quarter(2026, 2).index,
        covenant_status="met",
        rating="green",
        rating_reason="On plan.",
        author=analyst,
        submitted_at=timezone.now(),
    )


def object_ids(world, path: str) -> dict:
    """Real values for the path parameters of ``path`` (a schema path template)."""
    first = path.removeprefix("/api/v1/").split("/", 1)[0]
    by_collection = {
        "rounds": world["closed_round"].pk
        if path.endswith(("/positions/", "/aggregate/"))
        else world["open_round"].pk,
        "contracts": world["contract"].pk,
        "deliveries": world["delivery"].pk,
        "counterparties": world["counterparty"].pk,
        "price-indices": world["index"].pk,
        "projects": world["project"].pk,
        "allocations": world["allocation"].pk,
        "jobs": str(world["job"].pk),
        "materials": "lithium-hydroxide",
        "stockpile": world["release"].pk,
        "scenarios": world["scenario"].pk,
        "reported-contracts": world["reported_contract"].pk,
    }
    if first == "market":  # /api/v1/market/<collection>/...
        first = path.removeprefix("/api/v1/market/").split("/", 1)[0]
        by_collection.update(
            {"calls": world["call"].pk, "offers": world["offer"].pk, "matches": world["match"].pk}
        )
    if first == "agency":  # /api/v1/agency/<collection>/...
        first = "agency/" + path.removeprefix("/api/v1/agency/").split("/", 1)[0]
        by_collection.update(
            {
                "agency/proposals": world["proposal"].pk,
                "agency/documents": world["proposal_document"].pk,
                "agency/offtake-rights": world["stake"].pk,
                "agency/monitoring-reports": world["report"].pk,
            }
        )
    values = {"code": "lithium-hydroxide", "id": by_collection.get(first)}
    if "{round_pk}" in path:
        values["round_pk"] = world["open_round"].pk
        values["id"] = world["line"].pk
    return {name: value for name, value in values.items() if "{" + name + "}" in path}
