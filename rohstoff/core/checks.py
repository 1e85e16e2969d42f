"""System check: every URL pattern declares an access policy (``manage.py check`` fails if not)."""

from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

from .access import Policy, is_api_view, policy_of


def iter_patterns(patterns=None, prefix=""):
    """Yield (route, URLPattern) for every pattern of the project, nested includes too."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def undeclared_views() -> list[str]:
    missing = []
    for route, pattern in iter_patterns():
        policy = policy_of(pattern.callback)
        if is_api_view(pattern.callback):
            actions = getattr(pattern.callback, "actions", None) or {}
            if isinstance(policy, dict):
                absent = [a for a in actions.values() if a not in policy and "*" not in policy]
                if absent or not actions:
                    missing.append(f"{route} ({', '.join(absent) or 'no actions'})")
            elif not isinstance(policy, Policy):
                missing.append(route)
        elif not isinstance(policy, Policy):
            missing.append(route)
    return missing


@register("security")
def check_access_policies(app_configs, **kwargs):
    return [
        Error(f"URL {route!r} has a view without a declared access policy.", id="rohstoff.E001")
        for route in undeclared_views()
    ]
