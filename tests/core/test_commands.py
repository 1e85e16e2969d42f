"""Management commands: seed_demo, add_user, api_token."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.test import Client

from rohstoff.core.api_auth import token_digest
from rohstoff.core.demo import DEMO_PASSWORD
from rohstoff.core.models import ApiToken, AuditEvent, Organisation, OrganisationKind, Role, User


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# ---- seed_demo -------------------------------------------------------------------------------


def test_seed_demo_creates_every_kind_of_organisation_and_a_user_per_role(db):
    output = run("seed_demo")
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    assert Organisation.objects.filter(kind=OrganisationKind.MEMBER).count() >= 6
    for role in Role.values:
        assert User.objects.filter(role=role, is_active=True).exists(), role
    assert User.objects.filter(is_staff=True, is_superuser=True).exists()
    # The demo logins and their password are printed.
    assert DEMO_PASSWORD in output
    for user in User.objects.all():
        assert user.email in output
    # Approver, desk and staff admin arrive with their second factor, so the demo can sign in.
    needing = User.objects.filter(
        Q(role__in=["agency_approver", "trading_desk"]) | Q(is_staff=True)
    )
    assert needing.filter(is_staff=True).exists()
    for user in needing:
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    staff_line = next(line for line in output.splitlines() if "admin@rohstoff.example" in line)
    assert "second factor" in staff_line


def test_seed_demo_is_safe_to_run_twice(db):
    run("seed_demo")
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
        Authenticator.objects.count(),
    )
    run("seed_demo")
    assert (
        Organisation.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
        Authenticator.objects.count(),
    ) == counts


def test_demo_users_sign_in_with_the_printed_password(db):
    run("seed_demo")
    member = User.objects.filter(role="member").first()
    response = Client().post("/accounts/login/", {"login": member.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


# ---- add_user --------------------------------------------------------------------------------


def test_add_user_creates_organisation_and_user(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-and-private-passphrase")
    output = run(
        "add_user",
        "Einkauf@Neu.example",
        org="Neue Werke GmbH",
        kind="member",
        role="member_admin",
        password_env="NEW_USER_PASSWORD",
    )
    user = User.objects.get(email="einkauf@neu.example")
    assert user.organisation.name == "Neue Werke GmbH" and user.organisation.kind == "member"
    assert user.role == "member_admin" and user.check_password("a-long-and-private-passphrase")
    assert "einkauf@neu.example" in output
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_add_user_without_password_leaves_it_to_the_password_reset(db):
    output = run(
        "add_user", "kein@passwort.example", org="Agentur", kind="agency", role="agency_analyst"
    )
    assert not User.objects.get(email="kein@passwort.example").has_usable_password()
    assert "Forgot your password?" in output


def test_add_user_joins_an_existing_organisation(db, firm_a):
    run("add_user", "second@firm-a.example", org=firm_a.name, kind="member", role="member")
    assert User.objects.get(email="second@firm-a.example").organisation == firm_a


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (
            ["x@example.com"],
            {"org": "Agentur", "kind": "agency", "role": "member"},
            "does not exist in",
        ),
        (
            ["x@example.com"],
            {"org": "Firm A GmbH", "kind": "agency", "role": "agency_analyst"},
            "exists already as",
        ),
        (
            ["buyer@firm-a.example"],
            {"org": "Firm A GmbH", "kind": "member", "role": "member"},
            "exists already",
        ),
        (["x@example.com"], {"org": "Agentur"}, "--org, --kind and --role are required"),
        (
            ["x@example.com"],
            {
                "org": "Agentur",
                "kind": "agency",
                "role": "agency_analyst",
                "password_env": "NO_SUCH_VAR",
            },
            "NO_SUCH_VAR is not set",
        ),
    ],
)
def test_add_user_refuses_bad_input_and_changes_nothing(db, member_a, args, options, message):
    users, organisations = User.objects.count(), Organisation.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("add_user", *args, stdout=StringIO(), **options)
    assert (User.objects.count(), Organisation.objects.count()) == (users, organisations)


def test_add_user_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("WEAK", "12345678")
    with pytest.raises(CommandError):
        call_command(
            "add_user",
            "weak@example.com",
            org="Agentur",
            kind="agency",
            role="agency_analyst",
            password_env="WEAK",
            stdout=StringIO(),
        )
    assert not User.objects.filter(email="weak@example.com").exists()


# ---- api_token -------------------------------------------------------------------------------


def test_api_token_prints_a_working_token_once(db, member_a):
    key = run("api_token", member_a.email).strip()
    token = ApiToken.objects.get(user=member_a)
    assert token.digest == token_digest(key) and key not in (token.digest, token.prefix)
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/materials/")
    assert response.status_code == 200
    second = run("api_token", member_a.email).strip()
    assert second != key and ApiToken.objects.filter(user=member_a).count() == 2


def test_api_token_for_an_unknown_or_removed_user(db, member_a):
    with pytest.raises(CommandError, match="No user"):
        call_command("api_token", "nobody@example.com", stdout=StringIO())
    member_a.is_active = False
    member_a.save()
    with pytest.raises(CommandError, match="not active"):
        call_command("api_token", member_a.email, stdout=StringIO())
    assert not ApiToken.objects.exists()
