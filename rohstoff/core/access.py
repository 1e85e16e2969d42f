"""The access policy: one place that says which roles may use which view or endpoint.

Every view declares a :class:`Policy` (``@allow(POLICY)`` on a function view, ``access_policy``
on a class-based view, ``access_policies`` per action on an API viewset). Pages are checked by
:class:`~rohstoff.core.middleware.AccessPolicyMiddleware`, API endpoints by
:class:`~rohstoff.core.api_permissions.DeclaredPolicyPermission`; a view without a declared policy is refused, and a test walks
every URL pattern to make sure none is missing. What a permitted user may see *inside* a view is
the job of the selectors, which scope every queryset to the acting user (404 for the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import wraps

from django.urls import URLPattern, URLResolver

from .models import Role


@dataclass(frozen=True)
class Policy:
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    staff: bool = False  # staff admins are let in as well
    public: bool = False  # anonymous visitors too
    authenticated: bool = False  # any signed-in user, whatever the role
    mfa_exempt: bool = False  # reachable before a required second factor is set up
    # Roles refused with 404 instead of 403: for them the pages do not exist at all (members and
    # the agency's proposals, docs/roles-and-visibility.md).
    concealed_from: frozenset[str] = field(default_factory=frozenset)

    def allows(self, user) -> bool:
        if self.public:
            return True
        if not (user and user.is_authenticated and user.is_active):
            return False
        if self.authenticated:
            return True
        if self.staff and user.is_staff:
            return True
        return user.role in self.roles

    def conceals_from(self, user) -> bool:
        """True when ``user``, refused, gets 404 rather than 403."""
        return bool(self.concealed_from) and getattr(user, "role", "") in self.concealed_from

    def __or__(self, other: Policy) -> Policy:
        return Policy(
            name=f"{self.name} | {other.name}",
            roles=self.roles | other.roles,
            staff=self.staff or other.staff,
            public=self.public or other.public,
            authenticated=self.authenticated or other.authenticated,
            mfa_exempt=self.mfa_exempt and other.mfa_exempt,
            concealed_from=(self.concealed_from | other.concealed_from) - self.roles - other.roles,
        )


def roles(name: str, *role_list: str, staff: bool = False) -> Policy:
    return Policy(name=name, roles=frozenset(role_list), staff=staff)


def concealed(policy: Policy, *role_list: str) -> Policy:
    """``policy``, but the given roles are refused with 404, as if the route did not exist."""
    return replace(policy, concealed_from=policy.concealed_from | frozenset(role_list))


PUBLIC = Policy("public", public=True, mfa_exempt=True)
LOGGED_IN = Policy("any signed-in user", authenticated=True)
# Account pages a user needs while setting up the second factor (and to sign out).
ACCOUNT_SETUP = Policy("any signed-in user (account set-up)", authenticated=True, mfa_exempt=True)
STAFF = Policy("staff admins", staff=True)

MEMBERS = roles("member firms", Role.MEMBER, Role.MEMBER_ADMIN)
MEMBER_ADMINS = roles("member administrators and staff", Role.MEMBER_ADMIN, staff=True)
DESK = roles("trading desk", Role.TRADING_DESK)
AGENCY = roles("agency", Role.AGENCY_ANALYST, Role.AGENCY_APPROVER)
AGENCY_APPROVERS = roles("agency approvers", Role.AGENCY_APPROVER)
AGENCY_ANALYSTS = roles("agency analysts", Role.AGENCY_ANALYST)
MEMBER_ROLES = (Role.MEMBER, Role.MEMBER_ADMIN)
MINISTRY = roles("ministry", Role.MINISTRY_VIEWER)
SUPPLIERS = roles("suppliers", Role.SUPPLIER)
ALL_ROLES = roles("every role", *Role.values)
# Everyone inside the consortium: every role but the suppliers, who are the market outside it and
# see only a call's published aggregate (docs/suppliers.md).
CONSORTIUM = roles("consortium", *(role for role in Role.values if role != Role.SUPPLIER))

# Who reads what (docs/roles-and-visibility.md, "Who sees what"); views combine these.
ROUND_READERS = MEMBERS | DESK | AGENCY | MINISTRY
POSITION_READERS = MEMBERS | DESK | AGENCY | MINISTRY
DESK_AND_AGENCY = DESK | AGENCY
CONTRACT_READERS = DESK | AGENCY


def policy_of(view_func: Callable) -> Policy | dict | None:
    """The policy a resolved view declares (a dict of action -> policy for API viewsets)."""
    declared = getattr(view_func, "access_policy", None)
    if declared is not None:
        return declared
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    if view_class is not None:
        return getattr(view_class, "access_policies", None) or getattr(
            view_class, "access_policy", None
        )
    return None


def is_api_view(view_func: Callable) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


def allow(policy: Policy):
    """Declare who may use a function view."""

    def decorator(view_func):
        view_func.access_policy = policy
        return view_func

    return decorator


def declare(
    patterns: Iterable, default: Policy, overrides: dict[str, Policy] | None = None
) -> list:
    """Declare policies for third-party URL patterns (allauth, admin) without touching their code.

    Each view is wrapped; ``overrides`` maps URL names to a policy other than ``default``.
    """
    overrides = overrides or {}
    declared = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            entry = URLResolver(
                entry.pattern,
                declare(entry.url_patterns, default, overrides),
                entry.default_kwargs,
                entry.app_name,
                entry.namespace,
            )
        elif isinstance(entry, URLPattern) and policy_of(entry.callback) is None:
            policy = overrides.get(entry.name, default)
            callback = with_policy(entry.callback, policy)
            entry = URLPattern(entry.pattern, callback, entry.default_args, entry.name)
        declared.append(entry)
    return declared


def with_policy(view_func, policy: Policy):
    """A wrapper of a third-party view that declares ``policy`` (the original stays untouched)."""

    @wraps(view_func)
    def wrapped(*args, **kwargs):
        return view_func(*args, **kwargs)

    wrapped.access_policy = policy
    return wrapped
