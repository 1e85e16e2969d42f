"""What the signed-in user may do, for templates: ``{% if can.contracts.write %}``.

Templates never ask which role a user has; they ask the context what the user may do. Each
domain app keeps the rules in its own ``policy.py`` (the one place that reads a user's role for
that app's objects) and registers a provider here from its ``AppConfig.ready()``::

    capabilities.register("contracts", policy.capabilities)   # user -> {"write": bool, ...}

The context processor :func:`can` exposes them lazily: a page that never asks ``can.contracts``
never computes it. Flags that depend on one object's state (may this round be closed now?) are
computed by the view and passed explicitly; the flags here depend on the user only.
See docs/architecture.md, "Access policy".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Provider = Callable[[object], Mapping[str, bool]]

_providers: dict[str, Provider] = {}


def register(namespace: str, provider: Provider) -> None:
    _providers[namespace] = provider


def providers() -> dict[str, Provider]:
    return dict(_providers)


class Capabilities:
    """``can.<namespace>.<flag>`` for one user, each namespace computed on first use."""

    def __init__(self, user):
        self._user = user
        self._cache: dict[str, Mapping[str, bool]] = {}

    def __getitem__(self, namespace: str) -> Mapping[str, bool]:
        if namespace not in self._cache:
            provider = _providers.get(namespace)
            if provider is None:
                raise KeyError(namespace)
            authenticated = bool(getattr(self._user, "is_authenticated", False))
            self._cache[namespace] = _Flags(provider(self._user) if authenticated else {})
        return self._cache[namespace]

    def __contains__(self, namespace: str) -> bool:
        return namespace in _providers


class _Flags(dict):
    """A flag nobody declared is False, so a template typo denies instead of erroring."""

    def __missing__(self, key):
        return False


def can(request) -> dict:
    """Context processor: ``can`` for the request's user."""
    return {"can": Capabilities(getattr(request, "user", None))}
