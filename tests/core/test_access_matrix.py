"""Who may reach which URL: one declared table, checked against every route and every role.

``access_table.txt`` (next to this file) lists, for every URL pattern of the project and every
method of every API route, what each role, a staff admin and an anonymous visitor get. The tests
below read the URL resolver and ``Role.values`` at run time: a route or a role the table does not
name fails, so a new page, endpoint or role (a ``supplier``) cannot silently inherit access. Then
every row is requested as every kind of user, with real objects (``access_objects.py``), and the
answers are compared with the table. The rules themselves: docs/roles-and-visibility.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from django.utils.regex_helper import normalize

from rohstoff.core.access import is_api_view
from rohstoff.core.checks import api_actions, iter_pattern_chains
from rohstoff.core.models import ROLES_BY_KIND, Role

from . import access_objects

TABLE = Path(__file__).with_name("access_table.txt")
OK, LOGIN, SETUP = "ok", "login", "set-up"
# What a row may expect: let in (any answer but a refusal: a page, a redirect after a POST, 400
# for an empty form, 409 for the wrong state), sent to sign in, 401 (API without credentials),
# 403 (the role may not use the route), 404 (the object is missing or not the user's to see),
# 405 (the route does not take this method).
OUTCOMES = {OK, LOGIN, "401", "403", "404", "405"}
PAGE_METHODS = ("get", "post")


def subjects() -> list[str]:
    """Everyone the table must name, read at run time: every role there is, staff, anonymous."""
    return ["anonymous", *Role.values, "staff"]


@dataclass(frozen=True)
class Row:
    line: int
    route: str
    method: str
    args: tuple[tuple[str, str], ...]
    expected: dict[str, str]

    def __str__(self):
        args = ",".join(f"{k}={v}" for k, v in self.args) or "-"
        return f"{self.method.upper()} {self.route} {args} (line {self.line})"


def read_table() -> tuple[list[str], list[Row]]:
    header, rows = None, []
    for number, text in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        text = text.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split()
        if header is None:
            assert fields[:3] == ["route", "method", "args"], "the first row names the columns"
            header = fields[3:]
            continue
        route, method, args, *outcomes = fields
        assert len(outcomes) == len(header), f"line {number}: one outcome per column"
        assert set(outcomes) <= OUTCOMES, f"line {number}: unknown outcome in {outcomes}"
        pairs = tuple(tuple(a.split("=", 1)) for a in args.split(",")) if args != "-" else ()
        rows.append(
            Row(number, route, method.lower(), pairs, dict(zip(header, outcomes, strict=True)))
        )
    return header or [], rows


def routes() -> dict[tuple[str, str], tuple]:
    """(route, method) -> (chain, pattern, is_api) for every URL pattern: an API route once per
    method it serves, a page once per method a row may use."""
    found = {}
    for chain, pattern in iter_pattern_chains():
        route = "/" + "".join(str(part) for part in chain)
        api = is_api_view(pattern.callback)
        # HEAD is GET without the body (DRF adds it to a viewset's actions on its first request).
        methods = [m for m in api_actions(pattern.callback) if m != "head"] if api else PAGE_METHODS
        for method in methods:
            found[(route, method)] = (chain, pattern, api)
    return found


def test_the_table_names_every_role_and_nobody_else():
    header, _rows = read_table()
    expected = subjects()
    missing = [s for s in expected if s not in header]
    unknown = [s for s in header if s not in expected]
    assert not missing and not unknown, (
        f"access_table.txt: columns missing for {missing}, columns for no such role {unknown}. "
        "Decide what a new role may reach, route by route, before it gets any access."
    )


def test_the_table_names_every_route_and_method():
    _header, rows = read_table()
    known = routes()
    declared = {(row.route, row.method) for row in rows}
    stale = sorted(str(row) for row in rows if (row.route, row.method) not in known)
    missing = sorted(
        f"{method.upper()} {route}"
        for (route, method), (_chain, _pattern, api) in known.items()
        if (route, method) not in declared
        and (api or not any((route, m) in declared for m in PAGE_METHODS))
    )
    assert not missing, "Routes the access table does not name:\n" + "\n".join(missing)
    assert not stale, "Rows of the access table for no such route:\n" + "\n".join(stale)


def path_for(chain, pattern, args: dict[str, str]) -> str:
    template, params = "", []
    for part in chain:
        fmt, names = normalize(part.regex.pattern)[0]
        template += fmt
        params += names
    assert set(params) == set(args), f"arguments {sorted(args)} for parameters {params}"
    path = "/" + template % args
    assert resolve(path).func is pattern.callback, f"{path} does not resolve to its route"
    return path


def outcome_of(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("account_login")):
            return LOGIN
        if location.startswith(reverse("mfa_activate_totp")):
            return SETUP
    if response.status_code in (401, 403, 404, 405):
        return str(response.status_code)
    return OK


class Visitors:
    """One client per column, signed in once; a client whose session a request changed (a row that
    signs out) is replaced, so no row changes what the next one sees."""

    def __init__(self, users: dict):
        self.users = users
        self.clients: dict[str, Client] = {}

    def client(self, subject: str) -> Client:
        if subject not in self.clients:
            client = Client()
            if self.users[subject] is not None:
                client.force_login(self.users[subject])
            self.clients[subject] = client
        return self.clients[subject]

    def ask(self, subject: str, method: str, path: str, api: bool) -> str:
        """One request, rolled back afterwards so that no row changes what the next one finds."""
        client = self.client(subject)
        session = client.cookies.get(settings.SESSION_COOKIE_NAME)
        session = session.value if session else None
        kwargs = {}
        if api and method in ("post", "put", "patch"):
            kwargs = {"data": "{}", "content_type": "application/json"}
        try:
            with transaction.atomic():
                response = getattr(client, method)(path, **kwargs)
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - reported with the row, not as the whole test
            return f"error: {type(exc).__name__}: {exc}"
        finally:
            after = client.cookies.get(settings.SESSION_COOKIE_NAME)
            if (after.value if after else None) != session:
                del self.clients[subject]
        return outcome_of(response)


@pytest.fixture
def signed_in(make_user, make_org, firm_a):
    """A user of every role there is (member firms' roles in firm A), a staff admin, and an
    anonymous visitor, keyed like the table's columns."""
    kind_of = {role: kind for kind, roles in ROLES_BY_KIND.items() for role in roles}
    users = {}
    for role in Role.values:
        kind = kind_of[role]
        org = firm_a if kind == "member" else make_org(f"Org {kind}", kind)
        users[role] = make_user(role, org=org, email=f"{role}@access.example")
    users["staff"] = make_user("", org=None, email="staff@access.example", staff=True)
    return users


AREAS = ("shell", "accounts", "admin", "api", "rounds", "positions", "contracts", "market")


def area(route: str) -> str:
    """Rows are checked in parts, so that parallel test runs share the work."""
    head = route.split("/")[1]
    return head if head in AREAS else "shell"


@pytest.mark.parametrize("part", AREAS)
def test_every_route_answers_each_role_as_the_table_says(
    part, signed_in, make_user, make_org, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    header, rows = read_table()
    rows = [row for row in rows if area(row.route) == part]
    assert rows, f"no rows for {part}"
    objects = access_objects.build(signed_in, make_user, make_org)
    known = routes()
    visitors = Visitors({"anonymous": None, **signed_in})
    mismatches = []
    for row in rows:
        chain, pattern, api = known[(row.route, row.method)]
        args = {k: objects[v[1:]] if v.startswith("@") else v for k, v in row.args}
        path = path_for(chain, pattern, args)
        for subject in header:
            got = visitors.ask(subject, row.method, path, api)
            if got != row.expected[subject]:
                mismatches.append(
                    f"{subject:16} {row.method.upper():6} {path:55} "
                    f"expected {row.expected[subject]}, got {got}  [line {row.line}]"
                )
    assert not mismatches, "Answers that differ from access_table.txt:\n" + "\n".join(mismatches)


# Without the second factor, approver and desk reach only the account set-up pages.
SETUP_MATRIX = [
    ("/", SETUP),
    ("/materials/", SETUP),
    ("/account/tokens/", SETUP),
    ("/account/", OK),
    ("/accounts/2fa/", OK),
    ("/accounts/password/change/", OK),
    ("/accessibility/", OK),
    ("/audit/", "403"),
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
