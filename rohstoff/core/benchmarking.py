"""Actors for the benchmark commands (docs/benchmarks.md).

The benchmarks run one after another against the same database (CI's benchmark step, an
operator's machine), and a run may be interrupted. Their organisations and users are therefore
fetched or created by name, never created blindly: a second benchmark, or a rerun, finds what the
first one left instead of failing on a unique name.
"""

from __future__ import annotations


def bench_organisation(name: str, kind: str):
    """The benchmark organisation called ``name``, created with ``kind`` if it does not exist."""
    from rohstoff.core.models import Organisation

    return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]


def bench_user(email: str, organisation, role: str, *, totp: bool = False, **extra):
    """The benchmark user with ``email``, created in ``organisation`` with ``role`` if missing.

    ``totp`` gives the user an authenticator, as the platform asks of every staff role that
    signs in to a page (benchmarks that time pages sign in as real users do).
    """
    from rohstoff.core.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=None, organisation=organisation, role=role, **extra
        )
    if totp:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
    return user


def keyed_copy_of(table: str, name: str) -> int:
    """Create ``name`` as a table like ``table`` with its columns, defaults, identity, NOT NULL
    and CHECK constraints, unique keys and indexes, and the same foreign keys, deferred as Django
    makes them: the floor of storing the same rows with the same integrity (docs/benchmarks.md).
    Returns the number of foreign keys copied."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
        for number, definition in enumerate(definitions):
            cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_fk{number} {definition}")
    return len(definitions)
