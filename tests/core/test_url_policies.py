"""The access policy, checked on every URL of the project.

The walker requests every URL pattern (this app's and every other app's, as they are added) as an
anonymous visitor and as each role that the pattern's declared policy leaves out, and fails when
one of them gets in. Object URLs are requested with sample kwargs (pk=999999 ...), so a 404 is an
acceptable refusal there.
"""

import itertools
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils.regex_helper import normalize

from rohstoff.core.access import Policy, is_api_view, policy_of
from rohstoff.core.checks import api_actions, iter_pattern_chains, undeclared_views

from .conftest import ROLE_NAMES

# The URL names that anonymous visitors may use on purpose. A public view not listed here fails
# the walk: opening a page to the world must be a deliberate, reviewed decision.
PUBLIC_URL_NAMES = {
    # signing in, the second factor, password reset, the closed sign-up page, invitations
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_email_verification_sent",
    "account_confirm_email",
    "mfa_authenticate",
    "mfa_trust",
    "invitation_accept",
    # the admin's own login and logout (both hand over to the platform's sign-in)
    "login",
    "logout",
    # the shell: language switch, accessibility statement, legal pages, health check, API docs
    "set_language",
    "accessibility",
    "imprint",
    "privacy",
    "easy_read",
    "healthz",
    "api_schema",
    "api_docs",
}

# Values tried for every URL parameter until the URL resolves back to the pattern under test.
SAMPLE_VALUES = ("999999", "no-such-object", str(uuid.UUID(int=999999)), "core", "2027-Q1")
# Parameters whose value must be a real one for the request to reach the access check at all.
SAMPLE_VALUES_BY_NAME = {"format": ("json",)}

PAGE_METHODS = ("get", "post")


def regex_examples(regex: str) -> dict[str, str]:
    """A string that each named group of ``regex`` matches (``csv|xlsx`` -> ``csv``)."""
    from re import _constants as c
    from re import _parser

    parsed = _parser.parse(regex)
    names = {number: name for name, number in parsed.state.groupdict.items()}
    examples: dict[str, str] = {}

    def example(items) -> str:
        out = []
        for op, arg in items:
            if op is c.LITERAL:
                out.append(chr(arg))
            elif op is c.ANY:
                out.append("x")
            elif op is c.IN:
                first_op, first_arg = arg[0]
                if first_op is c.NEGATE:
                    out.append("x")
                elif first_op is c.RANGE:
                    out.append(chr(first_arg[0]))
                elif first_op is c.CATEGORY:
                    out.append("9" if first_arg is c.CATEGORY_DIGIT else "x")
                else:
                    out.append(chr(first_arg))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                low, _high, sub = arg
                out.append(example(sub) * max(low, 1))
            elif op is c.BRANCH:
                out.append(example(arg[1][0]))
            elif op is c.SUBPATTERN:
                group, _add, _del, sub = arg
                text = example(sub)
                if group in names:
                    examples[names[group]] = text
                out.append(text)
        return "".join(out)

    example(parsed)
    return examples


def sample_path(chain, pattern) -> str:
    """A path that resolves to ``pattern``, with sample values for its parameters."""
    formats = []
    for part in chain:
        options = normalize(part.regex.pattern)
        formats.append(options[0])
    template = "".join(fmt for fmt, _params in formats)
    params = [p for _fmt, names in formats for p in names]
    derived = {}
    for part in chain:
        derived.update(regex_examples(part.regex.pattern))
    choices = [SAMPLE_VALUES_BY_NAME.get(p, (*SAMPLE_VALUES, derived.get(p, "x"))) for p in params]
    for values in itertools.product(*choices):
        path = "/" + template % dict(zip(params, values, strict=True))
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func is pattern.callback:
            return path
    raise AssertionError(f"No sample URL resolves to {pattern!r}; add a sample value for it.")


def walk():
    """(path, has_object_kwargs, is_api, method, policy, url_name) for every pattern and method."""
    for chain, pattern in iter_pattern_chains():
        path = sample_path(chain, pattern)
        has_kwargs = "%(" in "".join(normalize(part.regex.pattern)[0][0] for part in chain)
        declared = policy_of(pattern.callback)
        name = pattern.name or ""
        if is_api_view(pattern.callback):
            for method, action in api_actions(pattern.callback).items():
                policy = (
                    declared.get(action) or declared.get("*")
                    if isinstance(declared, dict)
                    else declared
                )
                yield path, has_kwargs, True, method, policy, name
        else:
            for method in PAGE_METHODS:
                yield path, has_kwargs, False, method, declared, name


def refused_roles(policy: Policy) -> list[str]:
    if policy.public or policy.authenticated:
        return []
    return [
        role
        for role in ROLE_NAMES
        if not (role == "staff" and policy.staff) and role not in policy.roles
    ]


def test_manage_check_finds_no_view_without_a_policy():
    assert undeclared_views() == []


def test_every_url_pattern_declares_a_policy():
    missing = []
    for path, _kwargs, _api, method, policy, name in walk():
        if not isinstance(policy, Policy):
            missing.append(f"{method.upper()} {path} ({name})")
    assert not missing, "Views without a declared access policy:\n" + "\n".join(missing)


def test_public_urls_are_the_deliberate_ones():
    opened = sorted(
        {
            f"{path} ({name})"
            for path, _k, _a, _m, policy, name in walk()
            if isinstance(policy, Policy) and policy.public and name not in PUBLIC_URL_NAMES
        }
    )
    assert not opened, (
        "Public without being on the list of deliberately public URLs:\n" + "\n".join(opened)
    )


def find_leaks(role_users) -> tuple[int, list[str]]:
    """Request every URL as an anonymous visitor and as each role its policy leaves out.
    Returns the number of requests and the ones that got in."""
    login_url = reverse(settings.LOGIN_URL)
    anonymous = Client()
    clients = {}
    for role, user in role_users.items():
        clients[role] = Client()
        clients[role].force_login(user)

    failures, checked = [], 0
    for path, has_kwargs, api, method, policy, _name in walk():
        if not isinstance(policy, Policy):
            failures.append(f"{method.upper()} {path}: no declared policy")
            continue
        if not policy.public:
            response = getattr(anonymous, method)(path)
            checked += 1
            if api:
                if response.status_code != 401:
                    failures.append(
                        f"anonymous {method.upper()} {path}: {response.status_code}, expected 401"
                    )
            elif response.status_code != 302 or not response["Location"].startswith(
                login_url + "?next="
            ):
                failures.append(
                    f"anonymous {method.upper()} {path}: {response.status_code}, expected a redirect to sign in"
                )
        for role in refused_roles(policy):
            # 404 for an object URL, and for a role the policy conceals the route from
            allowed_refusals = {403, 404} if has_kwargs or role in policy.concealed_from else {403}
            response = getattr(clients[role], method)(path)
            checked += 1
            if response.status_code not in allowed_refusals:
                failures.append(
                    f"{role} {method.upper()} {path}: {response.status_code}, "
                    f"expected {' or '.join(map(str, sorted(allowed_refusals)))} (policy: {policy.name})"
                )
    return checked, failures


def test_anonymous_visitors_and_unrelated_roles_never_get_in(db, role_users):
    """The walk: anonymous visitors are sent to sign in (API: 401); every role the policy leaves
    out gets 403 (or 404 for an object URL)."""
    checked, failures = find_leaks(role_users)
    assert checked > 100  # the walk reached the project's URLs
    assert not failures, "Access policy not enforced:\n" + "\n".join(failures)


@pytest.mark.urls("tests.core.leaky_urls")
def test_the_walk_catches_leaky_and_undeclared_views(db, role_users):
    """The walker itself: views planted with the usual mistakes are all reported."""
    _checked, failures = find_leaks(role_users)
    assert "GET /planted/undeclared/: no declared policy" in failures
    assert (
        "member GET /api/planted/desk-only/: 200, expected 403 (policy: trading desk)" in failures
    )
    assert "anonymous GET /api/planted/desk-only/: 200, expected 401" in failures
    assert "anonymous GET /api/planted/session-only/: 403, expected 401" in failures
    assert not any(
        "/planted/public/" in f for f in failures
    )  # public: left to the list check below
    with pytest.raises(AssertionError, match="planted_public"):
        test_public_urls_are_the_deliberate_ones()
    assert undeclared_views() == ["planted/undeclared/"]


def test_the_walk_covers_nested_includes_and_api_routes():
    paths = {path for path, *_rest in walk()}
    assert "/materials/999999/" in paths
    assert "/api/v1/materials/999999.json" in paths
    assert "/api/v1/materials/" in paths
    assert f"/api/v1/jobs/{uuid.UUID(int=999999)}/" in paths
    assert "/admin/core/auditevent/" in paths


@pytest.mark.parametrize("role", ["agency_approver", "trading_desk"])
def test_second_factor_roles_are_refused_other_roles_pages_before_the_set_up_redirect(
    db, make_user, role
):
    """A role without its second factor still gets 403 on a page it may never use (the set-up
    redirect must not reveal which pages exist for it)."""
    user = make_user(role, mfa=False)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("audit_log")).status_code == 403
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
