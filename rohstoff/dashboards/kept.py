"""Sections of the ministry's dashboard kept in the cache (docs/benchmarks.md, "Ministry
dashboard"; docs/supply-security.md, "Ministry dashboard").

A section's context depends only on what its kind of reader may see (role and organisation),
the language, the day (windows start at today's quarter) and the data behind it. Every change to
that data goes through a service that writes an audit event, which moves the audit head forward;
publishing positions also changes the set of current position sets; loading reference data
changes an edition's load time; the agency's stockpile, contracts and projects keep an update
time. One query reads all of these markers, once per request; a context is kept under them, so any
change shows on the next request. A context is kept for at most ``KEEP_SECONDS`` in any case, for
a change made outside the services (a database console).

What is kept is the context (model instances, rows, chart data), never HTML: each page carries
its own CSP nonce and CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import get_language

KEEP_SECONDS = 600
VERSION = 1


def _markers_sql() -> str:
    from agency.projects.models import Project
    from agency.stockpile.models import Holding, MaterialTarget
    from contracts.models import OfftakeContract
    from rohstoff.core.models import AuditHead
    from rohstoff.supply.models import ReferenceEdition
    from tradinghouse.models import PositionSet

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    # Portable SQL (PostgreSQL and the SQLite of the first-run demo): scalar subqueries only.
    markers = [
        ("max(seq)", AuditHead, ""),
        ("count(*)", PositionSet, " WHERE is_current"),
        ("sum(id)", PositionSet, " WHERE is_current"),
        ("max(loaded_at)", ReferenceEdition, ""),
        ("max(updated_at)", OfftakeContract, ""),
        ("max(updated_at)", Project, ""),
        ("max(updated_at)", Holding, ""),
        ("max(updated_at)", MaterialTarget, ""),
    ]
    # Table names from the models, quoted; no input reaches this text.
    return "SELECT " + ", ".join(  # noqa: S608
        "(SELECT " + value + " FROM " + table(model) + where + ")"  # noqa: S608
        for value, model, where in markers
    )


def data_version(request) -> str:
    """The markers of the data behind the dashboard, read once per request (one query)."""
    kept = getattr(request, "_dashboard_data_version", None)
    if kept is None:
        with connection.cursor() as cursor:
            cursor.execute(_markers_sql())
            row = cursor.fetchone()
        kept = hashlib.sha256(repr(row).encode()).hexdigest()[:24]
        request._dashboard_data_version = kept
    return kept


def kept(name: str, context: Callable[[object], dict]) -> Callable[[object], dict]:
    """``context`` of a section, kept in the cache for its kind of reader (see the module)."""

    def kept_context(request) -> dict:
        user = request.user
        key = ":".join(
            str(part)
            for part in (
                "ministry-dashboard",
                VERSION,
                name,
                user.role,
                user.organisation_id,
                get_language(),
                timezone.localdate().isoformat(),
                data_version(request),
            )
        )
        value = cache.get(key)
        if value is None:
            value = context(request)
            cache.set(key, value, KEEP_SECONDS)
        return value

    kept_context.__name__ = getattr(context, "__name__", name)
    return kept_context
