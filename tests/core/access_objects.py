"""A small world for the access table (tests/core/access_table.txt): one object of every kind a
URL names, written with the ORM so the table does not depend on how the services build them.

Firm A is the firm of the ``member`` and ``member_admin`` users the table signs in as; firm B is
another firm, so that its objects show the 404 of "not yours". Each name returned here is what the
table writes as ``@name`` in a URL argument.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from rohstoff.core.periods import Quarter


def build(users: dict, make_user, make_org) -> dict[str, str]:
    from agency.models import MonitoringReport, Project
    from contracts.models import (
        Allocation,
        AllocationRound,
        ContractDocument,
        Counterparty,
        Delivery,
        OfftakeContract,
        PriceIndex,
    )
    from industry.models import DemandLine, DemandRound, DemandUpload
    from rohstoff.core.models import ApiToken, Invitation, Job, Material
    from tradinghouse.models import FirmPosition, PositionCell, PositionSet

    member = users["member"]
    desk = users["trading_desk"]
    firm_a = member.organisation
    firm_b = make_org("Firm B AG", "member")
    member_b = make_user("member", org=firm_b, email="buyer@firm-b.example")
    colleague_a = make_user("member", org=firm_a, email="colleague@firm-a.example")
    lioh = Material.objects.get(code="lithium-hydroxide")
    now = timezone.now()

    def round_(title, state, opens, closes):
        r = DemandRound.objects.create(
            title=title,
            first_quarter=Quarter(2027, 1).index,
            last_quarter=Quarter(2028, 4).index,
            opens_at=now + datetime.timedelta(days=opens),
            closes_at=now + datetime.timedelta(days=closes),
            state=state,
            created_by=desk,
        )
        r.materials.set([lioh])
        return r

    draft = round_("Entwurf", "draft", 5, 30)
    open_ = round_("Offen", "open", -5, 30)
    aggregated = round_("Aggregiert", "aggregated", -40, -10)

    def line(round, org, by):
        return DemandLine.objects.create(
            round=round,
            organisation=org,
            material=lioh,
            period="2027-Q1",
            first_quarter=Quarter(2027, 1).index,
            is_year=False,
            quantity=Decimal("10"),
            unit="t",
            quantity_t=Decimal("10"),
            commitment="firm",
            delivery_country="DE",
            entered_by=by,
        )

    line_a = line(open_, firm_a, member)
    line_b = line(open_, firm_b, member_b)
    upload_a = DemandUpload.objects.create(
        round=open_,
        organisation=firm_a,
        uploaded_by=member,
        filename="bedarf.csv",
        content=b"material,period,quantity,unit\n",
        state="preview",
    )

    position_set = PositionSet.objects.create(
        round=aggregated, is_current=True, min_firms=5, p_rule=Decimal("0.1")
    )
    PositionCell.objects.create(
        position_set=position_set,
        material=lioh,
        quarter=Quarter(2027, 1).index,
        demand_t=Decimal("20"),
        demand_firm_t=Decimal("20"),
        demand_indicative_t=Decimal("0"),
        contributors=2,
        largest_share=Decimal("0.5"),
        disclosed=False,
        hidden_reason="few_firms",
    )
    for org in (firm_a, firm_b):
        FirmPosition.objects.create(
            position_set=position_set,
            organisation=org,
            material=lioh,
            quarter=Quarter(2027, 1).index,
            demand_t=Decimal("10"),
            demand_firm_t=Decimal("10"),
            demand_indicative_t=Decimal("0"),
        )
    job = Job.objects.create(
        kind="tradinghouse.aggregation",
        subject_type="industry.demandround",
        subject_id=str(aggregated.pk),
        state="succeeded",
        progress=1.0,
        created_by=desk,
    )

    def export_job(scope):
        from django.core.files.storage import default_storage

        job = Job.objects.create(
            kind=f"demand_export:csv:en:{scope}",
            subject_type="industry.demandround",
            subject_id=str(open_.pk),
            state="succeeded",
            progress=1.0,
            created_by=desk if scope == "desk" else member,
            finished_at=now,
        )
        path = default_storage.save(
            f"private/exports/demand/{job.pk}/export.csv", ContentFile(b"firm\r\n")
        )
        job.result = {"path": path, "filename": "export.csv", "lines": 0, "bytes": 6}
        job.save(update_fields=["result"])
        return job

    export_job_desk = export_job("desk")
    export_job_a = export_job(f"o{firm_a.pk}")

    counterparty = Counterparty.objects.create(name="Salar SpA", kind="producer", country="CL")
    project = Project.objects.create(
        name="Salar Norte", operator="Salar SpA", country="CL", stage="construction"
    )
    project.materials.set([lioh])
    contract = OfftakeContract.objects.create(
        reference="OFF-ACCESS-1",
        counterparty=counterparty,
        round=aggregated,
        material=lioh,
        start_quarter=Quarter(2027, 1).index,
        end_quarter=Quarter(2027, 4).index,
        annual_volume_t=Decimal("40"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="EUR",
        price_unit="t",
        pricing_type="fixed",
        fixed_price=Decimal("12000"),
        lot_size_t=Decimal("1"),
        project=project,
        state="signed",
        signed_on=datetime.date(2026, 1, 15),
        created_by=desk,
    )
    delivery = Delivery.objects.create(
        contract=contract,
        quarter=Quarter(2027, 1).index,
        delivered_on=datetime.date(2027, 2, 1),
        quantity_t=Decimal("10"),
        recorded_by=desk,
    )
    document = ContractDocument.objects.create(
        contract=contract,
        kind="contract",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="vertrag.pdf"),
        original_name="vertrag.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
        uploaded_by=desk,
    )
    index = PriceIndex.objects.create(
        code="lioh-cif-europe",
        name="LiOH CIF Europe",
        material=lioh,
        currency="EUR",
        unit="t",
    )
    allocation_round = AllocationRound.objects.create(
        contract=contract,
        state=AllocationRound.State.RELEASED,
        respond_by=now + datetime.timedelta(days=7),
        released_at=now,
        created_by=desk,
    )

    def allocation(org):
        return Allocation.objects.create(
            allocation_round=allocation_round,
            contract=contract,
            organisation=org,
            quarter=Quarter(2027, 1).index,
            requested_t=Decimal("10"),
            computed_t=Decimal("5"),
            quantity_t=Decimal("5"),
            explanation={},
        )

    allocation_a = allocation(firm_a)
    allocation_b = allocation(firm_b)

    def token(user):
        return ApiToken.objects.create(
            user=user, name="ERP", prefix=f"t{user.pk:07d}", digest=f"{user.pk:064d}"
        )

    def invitation(org, email):
        return Invitation.objects.create(
            email=email,
            organisation=org,
            role="member",
            digest=f"{org.pk:064x}",
            invited_by=users["staff"],
            expires_at=now + datetime.timedelta(days=7),
        )

    proposal, proposal_document, stake = _stake_objects(users, project, lioh)
    # A monitoring report of the approved stake (docs/portfolio.md).
    report = MonitoringReport.objects.create(
        stake=stake,
        quarter=Quarter(2026, 1).index,
        covenant_status="met",
        rating="green",
        rating_reason="Ramp-up on plan.",
        author=users["agency_analyst"],
        submitted_at=now,
    )

    # The stockpile (docs/stockpile.md): a holding, a release in review by the agency's analyst, a
    # booked purchase; saved scenarios of the agency and of the ministry (docs/scenarios.md).
    from agency.models import Holding, Location, Movement, SavedScenario

    location = Location.objects.create(name="Lager Access", country="DE")
    Holding.objects.create(location=location, material=lioh, quantity_t=Decimal("100"))
    analyst = users["agency_analyst"]
    release = Movement.objects.create(
        kind="release",
        location=location,
        material=lioh,
        quantity_t=Decimal("10"),
        reason="Access",
        author=analyst,
    )
    purchase = Movement.objects.create(
        kind="purchase",
        location=location,
        material=lioh,
        quantity_t=Decimal("100"),
        reason="Access",
        author=analyst,
        state="booked",
        booked_at=now,
    )

    def saved(user, name):
        return SavedScenario.objects.create(
            name=name,
            countries=["CL"],
            first_quarter=Quarter(2027, 2).index,
            round=aggregated,
            author=user,
            organisation=user.organisation,
        )

    from industry.models import ReportedContract, ReportedQuarter

    def reported(org, by):
        contract = ReportedContract.objects.create(
            organisation=org, reported_by=by, material=lioh, origin_country="CL"
        )
        ReportedQuarter.objects.create(
            contract=contract,
            quarter=Quarter(2027, 1).index,
            quantity=Decimal("5"),
            quantity_t=Decimal("5"),
        )
        return contract

    objects = {
        "reported_a": reported(firm_a, member),
        "reported_b": reported(firm_b, member_b),
        "proposal": proposal,
        "proposal_document": proposal_document,
        "stake": stake,
        "material": lioh.code,
        "release": release,
        "purchase": purchase,
        "scenario_agency": saved(analyst, "Chile (Agentur)"),
        "scenario_ministry": saved(users["ministry_viewer"], "Chile (Ministerium)"),
        "round_draft": draft,
        "round_open": open_,
        "round_aggregated": aggregated,
        "line_a": line_a,
        "line_b": line_b,
        "upload_a": upload_a,
        "job": job,
        "export_desk": export_job_desk,
        "export_a": export_job_a,
        "counterparty": counterparty,
        "project": project,
        "report": report,
        "contract": contract,
        "delivery": delivery,
        "document": document,
        "index": index,
        "allocation_round": allocation_round,
        "allocation_a": allocation_a,
        "allocation_b": allocation_b,
        "colleague_a": colleague_a,
        "member_b": member_b,
        "token_member": token(member),
        "token_member_b": token(member_b),
        "invitation_a": invitation(firm_a, "new@firm-a.example"),
        "invitation_b": invitation(firm_b, "new@firm-b.example"),
        **_market_objects(users, make_user, make_org, position_set, lioh),
    }
    return {
        name: value if isinstance(value, str) else str(value.pk) for name, value in objects.items()
    }


def _stake_objects(users: dict, project, lioh):
    """A stake proposal in review with one received document, and an approved stake with an
    offtake right (agency stakes, docs/stakes.md)."""
    from agency.models import ProposalDocument, StakeProposal

    analyst = users["agency_analyst"]
    proposal = StakeProposal.objects.create(
        project=project,
        instrument="shareholder_loan",
        amount=Decimal("50000000"),
        currency="EUR",
        amount_eur=Decimal("50000000"),
        offtake_shortfall_reason="Access table",
        author=analyst,
        stage="screening",
    )
    document = ProposalDocument.objects.create(
        proposal=proposal,
        item="business_plan",
        status="received",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="plan.pdf"),
        original_name="plan.pdf",
        content_type="application/pdf",
        size=15,
        sha256="1" * 64,
        uploaded_by=analyst,
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
    return proposal, document, stake


def _market_objects(users: dict, make_user, make_org, position_set, lioh) -> dict:
    """A call open for offers on the aggregated round, a matched one, the table's supplier's own
    offer, result and document, and another supplier's (docs/suppliers.md)."""
    from contracts.models import Counterparty
    from market.models import (
        Call,
        MatchAllocation,
        MatchRun,
        Offer,
        OfferDocument,
        OfferQuarter,
        OfferResult,
        SupplierLink,
    )
    from tradinghouse.models import PositionSet

    desk = users["trading_desk"]
    supplier = users["supplier"]
    other_org = make_org("Other Supplier Ltd", "supplier")
    other = make_user("supplier", org=other_org, email="angebot@other.example")
    for org, name in ((supplier.organisation, "Own Mining"), (other_org, "Other Mining")):
        SupplierLink.objects.create(
            organisation=org,
            counterparty=Counterparty.objects.create(name=name, kind="producer", country="AU"),
        )
    PositionSet.objects.filter(pk=position_set.pk).update(published_at=timezone.now())
    now = timezone.now()

    def call(title, days):
        created = Call.objects.create(
            round=position_set.round,
            position_set=position_set,
            title=title,
            deadline=now + datetime.timedelta(days=days),
            terms="Terms",
            opened_by=desk,
        )
        created.addressees.set([supplier.organisation, other_org])  # both suppliers are asked
        return created

    open_call, matched = call("Offen", 7), call("Zugeordnet", -1)

    def offer(user, on):
        o = Offer.objects.create(
            call=on,
            supplier=user.organisation,
            material=lioh,
            currency="EUR",
            pricing_type="fixed",
            fixed_price=Decimal("15000"),
            incoterm="DAP",
            incoterm_place="Hamburg",
            origin_country="AU",
            origin_stage="mined",
            submitted_by=user,
        )
        OfferQuarter.objects.create(offer=o, quarter=Quarter(2027, 1).index, volume_t=Decimal("5"))
        return o

    own, other_offer = offer(supplier, open_call), offer(other, open_call)
    documents = [
        OfferDocument.objects.create(
            offer=o,
            file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="esg.pdf"),
            original_name="esg.pdf",
            content_type="application/pdf",
            size=15,
            sha256="2" * 64,
            uploaded_by=o.submitted_by,
        )
        for o in (own, other_offer)
    ]
    run = MatchRun.objects.create(call=matched, limit=Decimal("0.65"))
    results = []
    for user in (supplier, other):
        o = offer(user, matched)
        results.append(
            OfferResult.objects.create(
                run=run, offer=o, status="full", offered_t=Decimal("5"), matched_t=Decimal("5")
            )
        )
        allocation = MatchAllocation.objects.create(
            run=run,
            offer=o,
            material=lioh,
            quarter=Quarter(2027, 1).index,
            computed_t=Decimal("5"),
            quantity_t=Decimal("5"),
        )
    return {
        "call": open_call,
        "call_matched": matched,
        "offer_own": own,
        "offer_other": other_offer,
        "offer_document_own": documents[0],
        "offer_document_other": documents[1],
        "result_own": results[0],
        "result_other": results[1],
        "match_allocation": allocation,
    }
