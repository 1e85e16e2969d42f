"""Each role against each page of the foundation: allowed (200), sent to sign in, 403 or 404."""

import pytest
from django.test import Client

from .conftest import ROLE_NAMES

OK, LOGIN, FORBIDDEN, MISSING, SETUP = "200", "login", "403", "404", "set-up"

EVERYONE = dict.fromkeys(ROLE_NAMES, OK)


def only(*roles, others=FORBIDDEN):
    return {role: (OK if role in roles else others) for role in ROLE_NAMES}


def everyone(outcome):
    return dict.fromkeys(ROLE_NAMES, outcome)


# (method, path, expected for anonymous visitors, expected per role)
MATRIX = [
    ("get", "/", LOGIN, EVERYONE),
    ("get", "/materials/", LOGIN, EVERYONE),
    ("get", "/materials/neodymium-oxide/", LOGIN, EVERYONE),
    ("get", "/materials/no-such-material/", LOGIN, everyone(MISSING)),
    ("get", "/account/", LOGIN, EVERYONE),
    ("get", "/account/tokens/", LOGIN, EVERYONE),
    ("post", "/account/tokens/999999/revoke/", LOGIN, everyone(MISSING)),
    ("get", "/accounts/password/change/", LOGIN, EVERYONE),
    ("get", "/accounts/2fa/", LOGIN, EVERYONE),
    ("get", "/team/", LOGIN, only("member_admin", "staff")),
    ("post", "/team/999999/remove/", LOGIN, only() | {"member_admin": MISSING, "staff": MISSING}),
    (
        "post",
        "/team/invitations/999999/revoke/",
        LOGIN,
        only() | {"member_admin": MISSING, "staff": MISSING},
    ),
    ("get", "/audit/", LOGIN, only("staff")),
    ("get", "/admin/", LOGIN, only("staff")),
    ("get", "/admin/core/auditevent/", LOGIN, only("staff")),
    ("get", "/accessibility/", OK, EVERYONE),
    ("get", "/impressum/", OK, EVERYONE),
    ("get", "/datenschutz/", OK, EVERYONE),
    ("get", "/leichte-sprache/", OK, EVERYONE),
    ("get", "/invitation/no-such-key/", MISSING, everyone(MISSING)),
    ("get", "/accounts/login/", OK, everyone("302")),  # signed-in users are sent on
    ("get", "/api/docs/", OK, EVERYONE),
    ("get", "/api/schema/", OK, EVERYONE),
    ("get", "/healthz", OK, EVERYONE),
]


def outcome_of(response) -> str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return LOGIN
        if location.startswith("/accounts/2fa/totp/activate/"):
            return SETUP
    return str(response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "anonymous", "by_role"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX]
)
def test_role_matrix(db, role_users, method, path, anonymous, by_role):
    results = {"anonymous": outcome_of(getattr(Client(), method)(path))}
    for role, user in role_users.items():
        client = Client()
        client.force_login(user)
        results[role] = outcome_of(getattr(client, method)(path))
    assert results == {"anonymous": anonymous, **by_role}


# Without the second factor, approver and desk reach only the account set-up pages.
SETUP_MATRIX = [
    ("/", SETUP),
    ("/materials/", SETUP),
    ("/account/tokens/", SETUP),
    ("/account/", OK),
    ("/accounts/2fa/", OK),
    ("/accounts/password/change/", OK),
    ("/accessibility/", OK),
    ("/impressum/", OK),
    ("/audit/", FORBIDDEN),
]


@pytest.mark.parametrize("role", ["agency_approver", "trading_desk"])
def test_second_factor_set_up_is_required_for_approver_and_desk(make_user, role):
    client = Client()
    client.force_login(make_user(role, mfa=False))
    results = {path: outcome_of(client.get(path)) for path, _expected in SETUP_MATRIX}
    assert results == dict(SETUP_MATRIX)


# Staff admins read every firm's data in the audit log and the admin: the same second factor.
STAFF_SETUP_MATRIX = [
    ("/", SETUP),
    ("/audit/", SETUP),
    ("/team/", SETUP),
    ("/admin/", SETUP),
    ("/admin/core/auditevent/", SETUP),
    ("/account/", OK),
    ("/accounts/2fa/", OK),
]


def test_second_factor_set_up_is_required_for_staff_admins(make_user):
    client = Client()
    client.force_login(make_user("", org=None, staff=True, mfa=False))
    results = {path: outcome_of(client.get(path)) for path, _expected in STAFF_SETUP_MATRIX}
    assert results == dict(STAFF_SETUP_MATRIX)
    # The API answers a session without the factor with 403, as for the desk.
    assert client.get("/api/v1/materials/").status_code == 403


@pytest.mark.parametrize("role", ["member", "agency_analyst", "ministry_viewer"])
def test_other_roles_need_no_second_factor(make_user, role):
    client = Client()
    client.force_login(make_user(role, mfa=False))
    assert client.get("/").status_code == 200
