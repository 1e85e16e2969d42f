"""Demo organisations and users (``manage.py seed_demo``). Safe to run twice."""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from .models import OrganisationKind, Role, User
from .services import organisation_get_or_create, user_create

DEMO_PASSWORD = "rohstoff-demo-2026"  # noqa: S105 - printed by seed_demo, for the demo only
# The second factor of the demo desk and approvers: add it to any authenticator app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

AGENCY = "Deutsche Rohstoffagentur (DERA/KfW)"
TRADINGHOUSE = "Rohstoffhandelshaus GmbH"
MINISTRY = "Bundesministerium für Wirtschaft und Energie"
MEMBER_FIRMS = [
    ("Schwarzwald Präzisionsmagnete GmbH", "magnete"),
    ("Lausitzer Batteriewerk AG", "batteriewerk"),
    ("Rheinische Legierungen GmbH", "legierungen"),
    ("Allgäuer Elektromotoren KG", "elektromotoren"),
    ("Harzer Katalysatortechnik GmbH", "katalysator"),
    ("Bodensee Halbleiter GmbH", "halbleiter"),
    ("Emsland Windkomponenten GmbH", "windkomponenten"),
    ("Fränkische Kabelwerke AG", "kabelwerke"),
]
# Suppliers from four countries, each with one offer manager (docs/suppliers.md):
# (name, country, mail slug).
SUPPLIERS = [
    ("Andes Litio S.A.", "CL", "andes-litio"),
    ("Nordic Battery Metals Oy", "FI", "nordic-metals"),
    ("Outback Rare Earths Pty Ltd", "AU", "outback-ree"),
    ("Rheinland Recycling GmbH", "DE", "rheinland-recycling"),
]

# (email, name, organisation, kind, role, staff)
USERS = (
    [
        ("admin@rohstoff.example", "Plattform-Admin", None, None, "", True),
        (
            "desk@handelshaus.example",
            "Jana Weber",
            TRADINGHOUSE,
            OrganisationKind.TRADINGHOUSE,
            Role.TRADING_DESK,
            False,
        ),
        (
            "analyst@agentur.example",
            "Tobias Krüger",
            AGENCY,
            OrganisationKind.AGENCY,
            Role.AGENCY_ANALYST,
            False,
        ),
        (
            "approver@agentur.example",
            "Dr. Miriam Hoffmann",
            AGENCY,
            OrganisationKind.AGENCY,
            Role.AGENCY_APPROVER,
            False,
        ),
        (
            "approver2@agentur.example",
            "Stefan Lange",
            AGENCY,
            OrganisationKind.AGENCY,
            Role.AGENCY_APPROVER,
            False,
        ),
        (
            "viewer@bmwe.example",
            "Katrin Vogel",
            MINISTRY,
            OrganisationKind.MINISTRY,
            Role.MINISTRY_VIEWER,
            False,
        ),
        (
            "admin@magnete.example",
            "Lukas Schneider",
            MEMBER_FIRMS[0][0],
            OrganisationKind.MEMBER,
            Role.MEMBER_ADMIN,
            False,
        ),
    ]
    + [
        (
            f"einkauf@{slug}.example",
            f"Einkauf {name.split()[0]}",
            name,
            OrganisationKind.MEMBER,
            Role.MEMBER,
            False,
        )
        for name, slug in MEMBER_FIRMS
    ]
    + [
        (
            f"angebot@{slug}.example",
            f"Angebote {name.split()[0]}",
            name,
            OrganisationKind.SUPPLIER,
            Role.SUPPLIER,
            False,
        )
        for name, _country, slug in SUPPLIERS
    ]
)


def seed_accounts(stdout=None) -> dict:
    """Create the demo organisations and users; existing ones are left as they are."""
    organisations = {}
    for name, kind in [
        (AGENCY, OrganisationKind.AGENCY),
        (TRADINGHOUSE, OrganisationKind.TRADINGHOUSE),
        (MINISTRY, OrganisationKind.MINISTRY),
    ] + [(n, OrganisationKind.MEMBER) for n, _ in MEMBER_FIRMS]:
        organisations[name] = organisation_get_or_create(name=name, kind=kind)[0]
    for name, country, _slug in SUPPLIERS:
        organisations[name] = organisation_get_or_create(
            name=name, kind=OrganisationKind.SUPPLIER, country=country
        )[0]
    users = {}
    for email, full_name, org_name, _kind, role, staff in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(
                email=email,
                organisation=organisations.get(org_name),
                role=role,
                password=DEMO_PASSWORD,
                full_name=full_name,
                is_staff=staff,
            )
            if staff:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        if (
            user.needs_mfa
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
            RecoveryCodes.activate(user)
        users[email] = user
    return {"organisations": organisations, "users": users}
