"""System check: every URL pattern declares an access policy (``manage.py check`` fails if not).

``iter_patterns`` and ``iter_pattern_chains`` walk the whole URL configuration, nested includes
too; ``tests/core/test_url_policies.py`` uses them to request every page and endpoint as an
anonymous visitor and as every role the policy leaves out.
"""

from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

from .access import Policy, is_api_view, policy_of


def iter_pattern_chains(patterns=None, chain=()):
    """Yield (chain, URLPattern): ``chain`` holds the pattern objects (``RoutePattern``,
    ``RegexPattern``) of every resolver above the pattern, then the pattern's own."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from iter_pattern_chains(entry.url_patterns, (*chain, entry.pattern))
        elif isinstance(entry, URLPattern):
            yield (*chain, entry.pattern), entry


def iter_patterns(patterns=None, prefix=""):
    """Yield (route, URLPattern) for every pattern of the project, nested includes too."""
    for chain, pattern in iter_pattern_chains(patterns):
        yield prefix + "".join(str(part) for part in chain), pattern


def api_actions(view_func) -> dict[str, str]:
    """HTTP method -> action of an API view: a viewset's route map, or the handlers an APIView
    implements (the lower-case method name is its action)."""
    actions = getattr(view_func, "actions", None)
    if actions:
        return dict(actions)
    view_class = getattr(view_func, "cls", None)
    methods = ("get", "post", "put", "patch", "delete")
    return {m: m for m in methods if view_class is not None and hasattr(view_class, m)}


def undeclared_views() -> list[str]:
    missing = []
    for route, pattern in iter_patterns():
        policy = policy_of(pattern.callback)
        if is_api_view(pattern.callback):
            actions = api_actions(pattern.callback)
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
