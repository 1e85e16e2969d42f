"""Demo data of the agency (``manage.py seed_demo``), written through the services. Safe to run
twice: what exists already is left as it is.

- ``seed``: five fictional projects (a rare-earth mine in Australia, a lithium refinery in
  Canada, a battery recycling plant in Germany, and the two the demo offtakes link to) with
  capacities per material, coordinates, capex and an ESG/HSE screen;
- ``seed_stakes`` (after the rounds, FX rates and contracts exist): a proposal at screening, one
  in technical due diligence, one at the committee, and an approved equity stake (two approvers)
  whose offtake right became a draft contract, with a disbursement and a monitoring report.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rohstoff.core.models import Material, User

from .models import Project, ProjectStage, StakeProposal
from .monitoring import rules as monitoring_rules
from .monitoring import services as monitoring_services
from .portfolio import services as portfolio_services
from .projects import services
from .stakes import services as stake_services
from .stakes.rules import Shareholder

D = Decimal
ANALYST = "analyst@agentur.example"
APPROVERS = ("approver@agentur.example", "approver2@agentur.example")

# name, operator, country, stage, (lat, lon), capex, currency, CRMA strategic,
# [(material, t/yr, start)], description
PROJECTS = [
    (
        "Yilgarn Rare Earths Project",
        "Yilgarn Rare Earths Ltd (fiktiv)",
        "AU",
        ProjectStage.PRODUCTION,
        ("-28.86", "122.55"),
        D("1500000000"),
        "AUD",
        False,
        [
            ("ndpr-oxide", "10500", 2024),
            ("dysprosium-oxide", "120", 2025),
            ("terbium-oxide", "40", 2025),
        ],
        "Fiktives Demo-Projekt: Tagebau und Konzentrator in Westaustralien, Trennanlage in Malaysia.",
    ),
    (
        "Salar Andino Lithium",
        "Salar Andino Litio SpA (fiktiv)",
        "CL",
        ProjectStage.CONSTRUCTION,
        ("-23.50", "-68.25"),
        D("900000000"),
        "USD",
        False,
        [("lithium-carbonate", "25000", 2028), ("lithium-hydroxide", "10000", 2029)],
        "Fiktives Demo-Projekt: Solegewinnung mit direkter Lithiumextraktion in der Atacama.",
    ),
    (
        "Great Lakes Black Mass Recycling",
        "Great Lakes Battery Recycling Inc. (fiktiv)",
        "CA",
        ProjectStage.RECYCLING,
        ("43.25", "-79.87"),
        D("450000000"),
        "CAD",
        False,
        [
            ("cobalt-sulphate", "6000", 2027),
            ("lithium-carbonate", "3000", 2027),
            ("nickel-sulphate", "15000", 2027),
        ],
        "Fiktives Demo-Projekt: hydrometallurgisches Recycling von Batterieschwarzmasse in Ontario.",
    ),
    (
        "Laurentian Lithium Refinery",
        "Laurentian Lithium Refining Inc. (fiktiv)",
        "CA",
        ProjectStage.CONSTRUCTION,
        ("46.37", "-72.40"),
        D("1200000000"),
        "CAD",
        False,
        [("lithium-hydroxide", "30000", 2028)],
        "Fiktives Demo-Projekt: Raffinerie für Lithiumhydroxid in Québec aus Spodumen-Konzentrat.",
    ),
    (
        "Lausitz Batterierecycling",
        "Lausitz Batterierecycling GmbH (fiktiv)",
        "DE",
        ProjectStage.RECYCLING,
        ("51.52", "14.38"),
        D("350000000"),
        "EUR",
        True,
        [
            ("cobalt-sulphate", "4000", 2027),
            ("nickel-sulphate", "9000", 2027),
            ("lithium-carbonate", "2500", 2027),
        ],
        "Fiktives Demo-Projekt: Recycling von Produktionsausschuss und Altbatterien in der Lausitz.",
    ),
]

# item -> (status, note) for every project; a few differ per project below.
SCREEN = {
    "environmental_permit": ("pass", "Genehmigung erteilt, Auflagen zum Wassermanagement."),
    "tailings_standard": ("concern", "GISTM-Lückenanalyse steht aus."),
    "community_consultation": ("pass", "Konsultation dokumentiert."),
    "conflict_area": ("pass", "Kein Konflikt- oder Hochrisikogebiet."),
    "labour": ("pass", "ILO-Kernarbeitsnormen im Vertrag verankert."),
    "certification": ("not_assessed", ""),
}
SCREEN_OVERRIDES = {
    "Yilgarn Rare Earths Project": {
        "certification": ("concern", "IRMA-Selbstbewertung begonnen, Audit erst 2027.")
    },
    "Lausitz Batterierecycling": {
        "tailings_standard": ("not_assessed", ""),
        "certification": ("pass", "Zertifiziert nach ISO 14001 und 45001."),
    },
}


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def seed(context: dict) -> dict:
    actor = context.get("users", {}).get(ANALYST) or _user(ANALYST)
    projects = {}
    for name, operator, country, stage, coords, capex, currency, crma, rows, text in PROJECTS:
        project = Project.objects.filter(name=name).first()
        if project is None:
            project = services.project_save(
                actor=actor,
                name=name,
                operator=operator,
                country=country,
                stage=stage,
                latitude=D(coords[0]),
                longitude=D(coords[1]),
                capex=capex,
                capex_currency=currency,
                crma_strategic=crma,
                description=text,
                capacities=[
                    {
                        "material": Material.objects.get(code=code),
                        "capacity_t_per_year": D(t),
                        "production_start_year": start,
                    }
                    for code, t, start in rows
                ],
            )
            screen = {**SCREEN, **SCREEN_OVERRIDES.get(name, {})}
            services.esg_screen_save(
                actor=actor,
                project=project,
                checks={item: {"status": s, "note": n} for item, (s, n) in screen.items()},
            )
        projects[name] = project
    context["projects"] = projects
    return context


def _pdf(item: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"{item}.pdf",
        b"%PDF-1.4\n% Rohstoff demo document\n%%EOF\n",
        content_type="application/pdf",
    )


def _prepare(analyst, data: dict, cap_table, until: str) -> StakeProposal:
    """A proposal with every document uploaded and accepted, moved to stage ``until``."""
    proposal = stake_services.proposal_create(actor=analyst, cap_table=cap_table, **data)
    for document in proposal.documents.all():
        stake_services.document_upload(
            proposal=proposal, actor=analyst, item=document.item, upload=_pdf(document.item)
        )
        document.refresh_from_db()
        stake_services.document_review(document=document, actor=analyst, status="accepted")
    while proposal.stage != until:
        proposal = stake_services.proposal_advance(
            proposal=proposal, actor=analyst, note="Geprüft, keine Einwände."
        )
        proposal.refresh_from_db()
    return proposal


def seed_stakes(context: dict) -> dict:
    analyst = _user(ANALYST)
    approvers = [_user(email) for email in APPROVERS]
    if analyst is None or None in approvers:
        return context
    projects = {p.name: p for p in Project.objects.all()}
    material = {m.code: m for m in Material.objects.all()}
    plans = [
        (
            "Yilgarn Rare Earths Project",
            "approved",
            {
                "instrument": "equity",
                "amount": D("240000000"),
                "currency": "AUD",
                "equity_share_pct": D("15"),
                "offtake_material": material["ndpr-oxide"],
                "offtake_t_per_year": D("1800"),
                "offtake_first_year": 2028,
                "offtake_last_year": 2031,
                "conditions": "Ein Sitz im Aufsichtsrat; Vertriebsrecht für Deutschland.",
            },
            [
                Shareholder("Yilgarn Gründer und Management", D("40")),
                Shareholder("Rohstoffagentur", D("15"), True),
                Shareholder("Institutionelle Anleger", D("45")),
            ],
        ),
        (
            "Laurentian Lithium Refinery",
            "committee",
            {
                "instrument": "shareholder_loan",
                "amount": D("150000000"),
                "currency": "CAD",
                "offtake_material": material["lithium-hydroxide"],
                "offtake_t_per_year": D("4000"),
                "offtake_first_year": 2028,
                "offtake_last_year": 2032,
                "conditions": "Zins 6 %, Laufzeit 8 Jahre, nachrangig.",
            },
            [],
        ),
        (
            "Lausitz Batterierecycling",
            "technical_dd",
            {
                "instrument": "loan_guarantee",
                "amount": D("80000000"),
                "currency": "EUR",
                "offtake_material": material["nickel-sulphate"],
                "offtake_t_per_year": D("2100"),
                "offtake_first_year": 2028,
                "offtake_last_year": 2034,
                "conditions": "Deckung 80 % eines Bankkredits, gebunden an den Liefervertrag.",
            },
            [],
        ),
        (
            "Salar Andino Lithium",
            "screening",
            {
                "instrument": "equity",
                "amount": D("60000000"),
                "currency": "USD",
                "equity_share_pct": D("8"),
                "offtake_material": material["lithium-carbonate"],
                "offtake_t_per_year": D("1700"),
                "offtake_first_year": 2029,
                "offtake_last_year": 2035,
            },
            [
                Shareholder("Salar Andino Holding", D("62")),
                Shareholder("Rohstoffagentur", D("8"), True),
                Shareholder("Streubesitz", D("30")),
            ],
        ),
    ]
    for name, stage, data, cap_table in plans:
        project = projects.get(name)
        if project is None or StakeProposal.objects.filter(project=project).exists():
            continue
        until = "committee" if stage == "approved" else stage
        proposal = _prepare(analyst, {"project": project, **data}, cap_table, until)
        if stage == "approved":
            for approver in approvers:
                proposal = stake_services.proposal_approve(proposal=proposal, actor=approver)
            _portfolio_history(proposal, analyst)
    return context


def _portfolio_history(stake: StakeProposal, analyst) -> None:
    """A first disbursement and the current quarter's monitoring report of a new stake."""
    today = timezone.localdate()
    portfolio_services.disbursement_record(
        actor=analyst,
        stake=stake,
        paid_on=today - datetime.timedelta(days=1) if today.day > 1 else today,
        amount=D("96000000"),
        note="Erste Tranche bei Closing.",
    )
    monitoring_services.report_save(
        actor=analyst,
        stake=stake,
        quarter=monitoring_rules.quarter_of(today),
        production_t=D("2450"),
        milestones="Closing vollzogen; Ausbau der Trennanlage im Zeitplan.",
        covenant_status="met",
        rating="amber",
        rating_reason="Ausbau im Plan, aber Dysprosium-Ausbringung unter Erwartung.",
    )
