"""Times the whole demand upload (parse, validate, commit, as a member's upload runs it) against
PostgreSQL's own COPY of the same rows into a bare table with the file's columns."""

from __future__ import annotations

import datetime
import io
import random
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from industry.rounds import services as round_services
from industry.upload import services as upload_services
from industry.upload.validation import COLUMNS
from rohstoff.core.models import Material, Organisation, OrganisationKind, Role, User
from rohstoff.core.periods import Quarter

COPY_SQL = (
    "COPY benchmark_copy (material, period, quantity, unit, commitment, grade, delivery_country) "
    "FROM STDIN WITH (FORMAT csv, HEADER true)"
)
RUNS = 3


class _Rollback(Exception):
    pass


def demand_csv(rows: int, codes: list[str], seed: int = 2026) -> bytes:
    """``rows`` distinct keys: material x period x grade, quantities in all three units."""
    rng = random.Random(seed)
    periods = [str(y) for y in range(2027, 2032)] + [
        f"{y}-Q{q}" for y in range(2027, 2032) for q in (1, 2, 3, 4)
    ]
    units = ("t", "kg", "lb")
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    per_grade = len(codes) * len(periods)
    for i in range(rows):
        code = codes[i % len(codes)]
        period = periods[(i // len(codes)) % len(periods)]
        unit = units[i % 3]
        quantity = Decimal(rng.randint(1000, 9_000_000)) / 1000
        if unit != "t":
            quantity *= 1000
        commitment = "firm" if i % 4 == 0 else "indicative"
        out.write(f"{code},{period},{quantity},{unit},{commitment},spec {i // per_grade},DE\n")
    return out.getvalue().encode()


class Command(BaseCommand):
    help = (
        "Benchmark the demand upload against PostgreSQL's COPY: writes an N-row CSV, times our upload "
        "service and a plain COPY of the same rows (median of 3 each) and prints import_vs_copy_ratio."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rows", type=int, default=100_000, help="rows in the generated CSV (default 100000)"
        )

    def handle(self, *args, rows: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "benchmark_import measures against PostgreSQL's COPY and refuses to run on SQLite. "
                "Set DATABASE_URL=postgres://... and run it again."
            )
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        try:
            with transaction.atomic():  # everything it creates is rolled back at the end
                with connection.cursor() as cursor:
                    # Foreign keys are checked at commit, which never comes here: check them at
                    # once so that the timing includes them.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self._run(rows)
                raise _Rollback
        except _Rollback:
            pass

    def _run(self, rows: int) -> None:
        organisation, _ = Organisation.objects.get_or_create(
            name="Benchmark Import GmbH", defaults={"kind": OrganisationKind.MEMBER}
        )
        desk_org, _ = Organisation.objects.get_or_create(
            name="Benchmark Handelshaus", defaults={"kind": OrganisationKind.TRADINGHOUSE}
        )
        member = User.objects.filter(
            email="benchmark-member@rohstoff.invalid"
        ).first() or User.objects.create_user(
            email="benchmark-member@rohstoff.invalid", organisation=organisation, role=Role.MEMBER
        )
        desk = User.objects.filter(
            email="benchmark-desk@rohstoff.invalid"
        ).first() or User.objects.create_user(
            email="benchmark-desk@rohstoff.invalid", organisation=desk_org, role=Role.TRADING_DESK
        )
        materials = list(Material.objects.all())
        data = demand_csv(rows, [m.code for m in materials])
        self.stdout.write(f"rows={rows} file_bytes={len(data)} materials={len(materials)}")
        now = timezone.now()
        rounds = []
        for run in range(RUNS):
            round = round_services.round_create(
                actor=desk,
                title=f"Benchmark {run + 1}",
                materials=materials,
                first_period=Quarter(2027, 1),
                last_period=Quarter(2031, 4),
                opens_at=now - datetime.timedelta(hours=1),
                closes_at=now + datetime.timedelta(days=1),
            )
            round = round_services.round_open(round=round, actor=desk)
            round_services.terms_accept(round=round, actor=member)
            rounds.append(round)

        import_times = []
        for round in rounds:  # a fresh round each time: every run creates all N lines
            started = time.perf_counter()
            result = upload_services.demand_import(
                round=round, actor=member, data=data, filename="benchmark.csv"
            )
            import_times.append(time.perf_counter() - started)
            if result.errors:
                raise CommandError(f"the benchmark file was refused: {result.errors[:3]}")
            if result.created != rows:
                raise CommandError(f"expected {rows} new lines, got {result.created}")

        copy_times = []
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE benchmark_copy (material text, period text, quantity numeric, unit text, "
                "commitment text, grade text, delivery_country text)"
            )
            for _run in range(RUNS):
                cursor.execute("TRUNCATE benchmark_copy")
                started = time.perf_counter()
                with cursor.copy(COPY_SQL) as copy:
                    copy.write(data)
                copy_times.append(time.perf_counter() - started)
            cursor.execute("SELECT count(*) FROM benchmark_copy")
            copied = cursor.fetchone()[0]
            cursor.execute("DROP TABLE benchmark_copy")
        if copied != rows:
            raise CommandError(f"COPY loaded {copied} rows, expected {rows}")

        import_median = statistics.median(import_times)
        copy_median = statistics.median(copy_times)
        self.stdout.write(f"COPY statement: {COPY_SQL}")
        self.stdout.write("import runs (s): " + ", ".join(f"{t:.3f}" for t in import_times))
        self.stdout.write("copy runs (s): " + ", ".join(f"{t:.3f}" for t in copy_times))
        self.stdout.write(f"import_median_s={import_median:.3f} copy_median_s={copy_median:.3f}")
        self.stdout.write(f"import_vs_copy_ratio={import_median / copy_median:.2f}")
