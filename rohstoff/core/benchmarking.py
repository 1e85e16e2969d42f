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


def ensure_static_manifest(stdout) -> None:
    """Collect the static files when pages are rendered with the manifest storage (DEBUG off)
    and no manifest exists yet: a benchmark that times pages needs it, as production does."""
    from pathlib import Path

    from django.conf import settings

    if settings.DEBUG or (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        return
    from django.core.management import call_command

    stdout.write("collecting static files (the pages need their manifest)")
    call_command("collectstatic", interactive=False, verbosity=0)


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


def bench_firms(names: list[str]) -> list:
    """The member firms called ``names``, created where missing, ordered by name (the benchmarks'
    firms stay between runs: the audit trail that mentions them is append-only)."""
    from rohstoff.core.models import Organisation, OrganisationKind

    existing = set(Organisation.objects.filter(name__in=names).values_list("name", flat=True))
    Organisation.objects.bulk_create(
        [Organisation(name=n, kind=OrganisationKind.MEMBER) for n in names if n not in existing],
        batch_size=1000,
    )
    return list(Organisation.objects.filter(name__in=names).order_by("name"))


def scratch_round(
    *,
    title: str,
    desk,
    first,
    last,
    materials: list[int],
    generate_sql: str,
    params: dict,
    closes_at=None,
):
    """A closed round called ``title`` of the quarters ``first`` to ``last`` (``Quarter``) and the
    ``materials`` (ids), its lines written by one statement ``generate_sql`` (given the round,
    the desk user, the materials, the first year and the number of years besides ``params``),
    then analysed. Returns the round and the seconds the lines took."""
    import datetime
    import time

    from django.db import connection
    from django.utils import timezone

    from industry.models import DemandRound, RoundState

    now = timezone.now()
    round = DemandRound.objects.create(
        title=title,
        first_quarter=first.index,
        last_quarter=last.index,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=closes_at or now - datetime.timedelta(days=1),
        state=RoundState.CLOSED,
        created_by=desk,
    )
    round.materials.set(materials)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            generate_sql,
            {
                "round_id": round.pk,
                "user_id": desk.pk,
                "materials": materials,
                "material_count": len(materials),
                "first_year": first.year,
                "years": last.year - first.year + 1,
                **params,
            },
        )
        cursor.execute("ANALYZE industry_demandline")
    return round, time.perf_counter() - started


def drop_scratch_rounds(title: str, *, prefix: bool = False) -> None:
    """Remove the rounds called ``title`` (or, with ``prefix``, whose title starts with it) with
    their position sets, lines and line history: what a benchmark made, also after an interrupted
    run."""
    from django.db import connection, transaction

    from industry.models import DemandRound
    from tradinghouse.aggregation.publishing import delete_sets

    rounds = DemandRound.objects.filter(**{"title__startswith" if prefix else "title": title})
    for round in rounds:
        delete_sets(round.position_sets.all())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM industry_demandlinehistory WHERE line_id IN "
                "(SELECT id FROM industry_demandline WHERE round_id = %s)",
                [round.pk],
            )
            cursor.execute("DELETE FROM industry_demandline WHERE round_id = %s", [round.pk])
        round.delete()
