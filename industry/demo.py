"""Demo rounds for ``manage.py seed_demo``: a closed round whose positions show disclosed and
hidden cells, an open round in which the demo buyers can enter demand, and a draft. Everything is
created through the services, so history and audit exist. Safe to run twice."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter

from .lines import services as line_services
from .models import DemandRound
from .rounds import services as round_services

CLOSED_TITLE = "Nachfragerunde 2026/I – Batterie- und Magnetrohstoffe"
OPEN_TITLE = "Nachfragerunde 2026/II – Gallium, Germanium, Graphit, Lithium"
DRAFT_TITLE = "Nachfragerunde 2027/I – Seltene Erden (Entwurf)"

FIRM_SLUGS = [
    "magnete",
    "batteriewerk",
    "legierungen",
    "elektromotoren",
    "katalysator",
    "halbleiter",
    "windkomponenten",
    "kabelwerke",
]

# (firm index, material, period, quantity, unit, commitment). Designed for disclosure control
# (at least 5 firms and no dominant firm, p = 0.10):
#   lithium hydroxide 2027-2031: six firms of similar size           -> disclosed
#   NdPr oxide 2027-2029: five firms                                 -> disclosed
#   lithium carbonate 2027-Q1..Q4: five firms, 2028: two             -> 2027 disclosed, 2028 hidden
#   terbium oxide 2028: five firms, one dominant                     -> hidden (p% rule)
#   dysprosium oxide 2027-2028: three firms                          -> hidden (too few firms)
#   cobalt sulphate 2029: two firms                                  -> hidden
CLOSED_LINES = (
    [
        (i, "lithium-hydroxide", str(y), q, "t", "firm" if i % 2 else "indicative")
        for i, q in [(1, "40"), (2, "25"), (3, "32,5"), (4, "18"), (6, "22"), (7, "35")]
        for y in range(2027, 2032)
    ]
    + [
        (i, "ndpr-oxide", str(y), q, unit, "indicative")
        for i, q, unit in [
            (0, "12", "t"),
            (3, "8500", "kg"),
            (4, "6", "t"),
            (6, "14", "t"),
            (2, "9,5", "t"),
        ]
        for y in range(2027, 2030)
    ]
    + [
        (i, "lithium-carbonate", f"2027-Q{q}", amount, "t", "firm")
        for i, amount in [(1, "15"), (2, "9"), (5, "11"), (7, "7,5"), (0, "10")]
        for q in (1, 2, 3, 4)
    ]
    + [
        (1, "lithium-carbonate", "2028", "60", "t", "indicative"),
        (2, "lithium-carbonate", "2028", "20", "t", "indicative"),
    ]
    + [(0, "terbium-oxide", "2028", "45", "t", "firm")]
    + [(i, "terbium-oxide", "2028", "400", "kg", "indicative") for i in (3, 4, 6, 7)]
    + [
        (i, "dysprosium-oxide", str(y), q, "kg", "indicative")
        for i, q in [(0, "2000"), (3, "1500"), (6, "900")]
        for y in (2027, 2028)
    ]
    + [
        (1, "cobalt-sulphate", "2029", "250000", "lb", "indicative"),
        (7, "cobalt-sulphate", "2029", "80", "t", "firm"),
    ]
)

OPEN_LINES = [
    (1, "lithium-hydroxide", "2028", "380", "t", "indicative"),  # ten times its last round: flagged
    (1, "graphite-natural", "2028", "120", "t", "firm"),
    (2, "gallium", "2029-Q2", "1200", "kg", "indicative"),
    (3, "germanium", "2029", "850", "kg", "indicative"),
    (3, "lithium-hydroxide", "2029", "30", "t", "indicative"),
    (7, "lithium-hydroxide", "2028", "28", "t", "firm"),
]


def _materials(*codes):
    return list(Material.objects.filter(code__in=codes))


def _firm_user(users, index):
    return users[f"einkauf@{FIRM_SLUGS[index]}.example"]


def _enter(round, users, lines):
    for index, code, period, quantity, unit, commitment in lines:
        user = _firm_user(users, index)
        round_services.terms_accept(round=round, actor=user)
        line_services.line_enter(
            round=round,
            actor=user,
            material=Material.objects.get(code=code),
            period=period,
            quantity=Decimal(quantity.replace(",", ".")),
            unit=unit,
            commitment=commitment,
            grade="battery grade" if code.startswith("lithium") else "",
            delivery_country="DE",
        )


def _quiet_open(round, desk):
    """Open a round without mailing every demo member (the notice counts as sent)."""
    round = round_services.round_open(round=round, actor=desk)
    DemandRound.objects.filter(pk=round.pk).update(opened_notice_sent_at=timezone.now())
    return round


def seed(context: dict) -> dict:
    users = context["users"]
    desk = users["desk@handelshaus.example"]
    now = timezone.now().replace(second=0, microsecond=0)
    rounds = {}

    closed = DemandRound.objects.filter(title=CLOSED_TITLE).first()
    if closed is None:
        closed = round_services.round_create(
            actor=desk,
            title=CLOSED_TITLE,
            description="Bündelung des Bedarfs an Lithium, NdPr, Dysprosium, Terbium und Kobalt für Lieferungen 2027–2031.",
            materials=_materials(
                "lithium-hydroxide",
                "lithium-carbonate",
                "ndpr-oxide",
                "dysprosium-oxide",
                "terbium-oxide",
                "cobalt-sulphate",
            ),
            first_period=Quarter(2027, 1),
            last_period=Quarter(2031, 4),
            opens_at=now - datetime.timedelta(days=35),
            closes_at=now + datetime.timedelta(minutes=5),
            min_quantity_t=Decimal("0.1"),
        )
        closed = _quiet_open(closed, desk)
        _enter(closed, users, CLOSED_LINES)
        closed = round_services.round_close(round=closed, actor=desk)
    rounds["closed"] = closed

    open_round = DemandRound.objects.filter(title=OPEN_TITLE).first()
    if open_round is None:
        open_round = round_services.round_create(
            actor=desk,
            title=OPEN_TITLE,
            description="Gallium, Germanium und Naturgraphit (Exportkontrollen seit 2023) sowie Lithium für 2028–2032.",
            materials=_materials(
                "lithium-hydroxide",
                "gallium",
                "germanium",
                "graphite-natural",
                "nickel-sulphate",
                "manganese-sulphate",
            ),
            first_period=Quarter(2028, 1),
            last_period=Quarter(2032, 4),
            opens_at=now - datetime.timedelta(days=2),
            closes_at=now + datetime.timedelta(days=21),
            min_quantity_t=Decimal("0.05"),
        )
        open_round = _quiet_open(open_round, desk)
        _enter(open_round, users, OPEN_LINES)
    rounds["open"] = open_round

    draft = DemandRound.objects.filter(title=DRAFT_TITLE).first()
    if draft is None:
        draft = round_services.round_create(
            actor=desk,
            title=DRAFT_TITLE,
            description="Schwere Seltene Erden für Magnethersteller.",
            materials=_materials(
                "ndpr-oxide", "neodymium-oxide", "dysprosium-oxide", "terbium-oxide"
            ),
            first_period=Quarter(2029, 1),
            last_period=Quarter(2033, 4),
            opens_at=now + datetime.timedelta(days=30),
            closes_at=now + datetime.timedelta(days=60),
            min_quantity_t=Decimal("0.1"),
        )
    rounds["draft"] = draft
    context["rounds"] = rounds
    _report_contracts(users)
    return context


# Contracts demo firms concluded themselves (docs/reported-contracts.md): five firms report NdPr
# oxide for 2027-Q1 (their total is disclosed), Harzer Katalysatortechnik alone lithium carbonate
# for 2027-Q2 (hidden from everyone but the desk and that firm).
REPORTED = [
    (0, "ndpr-oxide", "AU", "Lynas", {"2027-Q1": "1", "2027-Q2": "1"}),
    (3, "ndpr-oxide", "CN", "", {"2027-Q1": "0,8"}),
    (4, "ndpr-oxide", "MY", "", {"2027-Q1": "0,7"}),
    (6, "ndpr-oxide", "AU", "", {"2027-Q1": "1,2"}),
    (2, "ndpr-oxide", "EE", "NPM Silmet", {"2027-Q1": "0,9"}),
    (5, "lithium-carbonate", "CL", "Andes Litio S.A.", {"2027-Q2": "4"}),
]


def _report_contracts(users):
    """Written directly (no positions refresh: the positions are aggregated after this step)."""
    from .models import ReportedContract, ReportedQuarter

    if ReportedContract.objects.exists():
        return
    for index, code, country, supplier, volumes in REPORTED:
        user = _firm_user(users, index)
        contract = ReportedContract.objects.create(
            organisation_id=user.organisation_id,
            reported_by=user,
            material=Material.objects.get(code=code),
            origin_country=country,
            supplier_name=supplier,
        )
        for period, tonnes in volumes.items():
            t = Decimal(tonnes.replace(",", "."))
            ReportedQuarter.objects.create(
                contract=contract, quarter=Quarter.parse(period).index, quantity=t, quantity_t=t
            )
