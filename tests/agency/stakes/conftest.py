"""Fixtures of the stake proposal tests: a project with capex and capacity, proposals that meet
every rule, one at the committee, a second approver, a round that collects the offtake material."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def project(db, lioh, li2co3):
    """A lithium project: capex EUR 400 m, 20,000 t/yr of LiOH.H2O from 2028."""
    from agency.models import Project, ProjectMaterial

    project = Project.objects.create(
        name="Testprojekt Lithium",
        operator="Test Lithium GmbH",
        country="CA",
        stage="construction",
        capex=Decimal("400000000"),
        capex_currency="EUR",
    )
    ProjectMaterial.objects.create(
        project=project,
        material=lioh,
        capacity_t_per_year=Decimal("20000"),
        production_start_year=2028,
    )
    ProjectMaterial.objects.create(project=project, material=li2co3)
    return project


@pytest.fixture
def approver2(make_user, make_org):
    return make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver2@agency.example"
    )


@pytest.fixture
def analyst2(make_user, make_org):
    return make_user(
        "agency_analyst", org=make_org("Agentur", "agency"), email="analyst2@agency.example"
    )


def equity_data(project, lioh, **overrides):
    """An equity proposal that meets every rule: EUR 100 m for 25 % (a quarter of capex), an
    offtake right of 5,000 t/yr (exactly pro rata: 100/400 × 20,000)."""
    from agency.stakes.rules import Shareholder

    data = {
        "project": project,
        "instrument": "equity",
        "amount": Decimal("100000000"),
        "currency": "EUR",
        "equity_share_pct": Decimal("25"),
        "offtake_material": lioh,
        "offtake_t_per_year": Decimal("5000"),
        "offtake_first_year": 2028,
        "offtake_last_year": 2032,
        "conditions": "Board seat.",
        "cap_table": [
            Shareholder("Test Lithium GmbH", Decimal("45")),
            Shareholder("Rohstoffagentur", Decimal("25"), True),
            Shareholder("Streubesitz", Decimal("30")),
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_proposal(analyst, project, lioh):
    from agency.stakes import services

    def make(**overrides):
        return services.proposal_create(actor=analyst, **equity_data(project, lioh, **overrides))

    return make


def pdf(name="plan.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n% test document\n", content_type="application/pdf")


@pytest.fixture
def at_committee(make_proposal, analyst):
    """A proposal with every document accepted, moved to the committee."""
    from agency.stakes import services

    def make(**overrides):
        proposal = make_proposal(**overrides)
        for document in proposal.documents.all():
            services.document_upload(
                proposal=proposal, actor=analyst, item=document.item, upload=pdf()
            )
            document.refresh_from_db()
            services.document_review(document=document, actor=analyst, status="accepted")
        while proposal.stage != "committee":
            proposal = services.proposal_advance(proposal=proposal, actor=analyst, note="ok")
        proposal.refresh_from_db()
        return proposal

    return make


@pytest.fixture
def lithium_round(desk, lioh, li2co3):
    """A round that collects lithium hydroxide 2028-2030."""
    from django.utils import timezone

    from industry.models import DemandRound
    from rohstoff.core.periods import Quarter

    now = timezone.now()
    r = DemandRound.objects.create(
        title="Lithium 2028-2030",
        first_quarter=Quarter(2028, 1).index,
        last_quarter=Quarter(2030, 4).index,
        opens_at=now - datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=30),
        state="open",
        created_by=desk,
    )
    r.materials.set([lioh, li2co3])
    return r
