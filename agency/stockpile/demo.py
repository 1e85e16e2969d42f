"""Demo stockpile for ``manage.py seed_demo``: two locations, holdings of four materials, two
high-risk materials, one release in review with one approval, and saved export-stop scenarios of
the ministry and the agency. Safe to run twice (a stockpile with movements is left as it is)."""

from __future__ import annotations

from decimal import Decimal

from industry.models import DemandRound
from rohstoff.core.models import Material
from rohstoff.core.periods import Quarter

from ..scenarios import services as scenario_services
from ..scenarios.models import SavedScenario
from . import services
from .models import Location, Movement

LOCATIONS = [("Zolllager Duisburg-Ruhrort", "DE"), ("Freihafen Hamburg, Halle 7", "DE")]
PURCHASES = [
    # material, location index, tonnes, reason
    ("ndpr-oxide", 0, "30", "Erstbefüllung 2026, Rahmenvertrag Yilgarn (Demo)"),
    ("dysprosium-oxide", 0, "0.5", "Erstbefüllung 2026 (Demo)"),
    ("lithium-hydroxide", 1, "48", "Spot-Kauf CIF Hamburg (Demo)"),
    ("cobalt-sulphate", 1, "25", "Übernahme aus Recyclingmenge Great Lakes (Demo)"),
]
HIGH_RISK = ["dysprosium-oxide", "terbium-oxide"]


def seed(context: dict) -> dict:
    users = context.get("users", {})
    analyst = users.get("analyst@agentur.example")
    approver = users.get("approver@agentur.example")
    viewer = users.get("viewer@bmwe.example")
    if analyst is None or Movement.objects.exists():
        return context
    locations = []
    for name, country in LOCATIONS:
        location = Location.objects.filter(name=name).first()
        locations.append(
            location or services.location_create(actor=analyst, name=name, country=country)
        )
    materials = Material.objects.in_bulk(
        [code for code, *_rest in PURCHASES] + HIGH_RISK, field_name="code"
    )
    for code in HIGH_RISK:
        if code in materials:
            services.target_set(actor=analyst, material=materials[code], high_risk=True)
    for code, where, tonnes, reason in PURCHASES:
        if code in materials:
            services.purchase_book(
                actor=analyst,
                location=locations[where],
                material=materials[code],
                quantity_t=Decimal(tonnes),
                reason=reason,
            )
    services.rotation_book(
        actor=analyst,
        location=locations[1],
        material=materials["lithium-hydroxide"],
        quantity_t=Decimal("10"),
        replacement_t=Decimal("10"),
        reason="Austausch der Charge 2024 (Feuchtigkeit), Demo",
    )
    release = services.release_propose(
        actor=analyst,
        location=locations[1],
        material=materials["lithium-hydroxide"],
        quantity_t=Decimal("8"),
        reason="Lieferausfall Salar Andino Q1 2027: Freigabe an Mitgliedsfirmen (Demo)",
    )
    if approver is not None:
        services.release_approve(release=release, actor=approver, revision=release.revision)

    round = (context.get("rounds") or {}).get("closed") or DemandRound.objects.filter(
        state__in=["closed", "aggregated"]
    ).order_by("-closes_at").first()
    if round is not None:
        for user, name, countries, first in (
            (viewer, "Exportstopp Australien ab 2027-Q3", ["AU"], Quarter(2027, 3)),
            (
                analyst,
                "Exportstopp Chile und Australien ab 2027-Q2",
                ["CL", "AU"],
                Quarter(2027, 2),
            ),
        ):
            if user is None or SavedScenario.objects.filter(name=name).exists():
                continue
            scenario_services.scenario_save(
                actor=user, name=name, round=round, countries=countries, first=first
            )
    return context
