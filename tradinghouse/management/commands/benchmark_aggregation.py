"""Speed and memory of the aggregation against the SQL floor (PostgreSQL only).

For each N it fills a scratch round with N synthetic demand lines (many firms, materials, units,
years and quarters; some excluded and withdrawn), runs our real aggregation task in-process three
times, then the floor three times: one plain ``INSERT ... SELECT ... GROUP BY`` over the same lines
that computes the cell totals from the raw quantity and unit (conversion to tonnes and the
year-to-quarter split, both rounded half to even) into a scratch table. It checks that the floor's
totals equal ours, and prints both median times, the memory the process grew by while the job ran
(generation not counted), the desk dashboard's median render time against a minimal page, and as
its last line ``aggregation_vs_sql_floor_ratio=<x>``. Everything it creates for the round is
removed again.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from industry.models import DemandLine, DemandRound, RoundState
from rohstoff.core.jobs import job_start
from rohstoff.core.models import Material, Organisation, OrganisationKind, Role, User
from rohstoff.core.periods import Quarter
from tradinghouse.selectors import PositionFilter
from tradinghouse.views import dashboard_cache_key

TITLE = "Benchmark scratch round (benchmark_aggregation)"
BENCH_DESK = "benchmark-desk@rohstoff.invalid"
FIRST, LAST = Quarter(2027, 1), Quarter(2031, 4)
RUNS = 3

# round_half_even(x, 6) for a non-negative numeric x, in plain SQL (PostgreSQL's round() rounds
# half away from zero).
HALF_EVEN_6 = (
    "(CASE WHEN ({x}) * 1000000 - floor(({x}) * 1000000) > 0.5 THEN floor(({x}) * 1000000) + 1 "
    "WHEN ({x}) * 1000000 - floor(({x}) * 1000000) < 0.5 THEN floor(({x}) * 1000000) "
    "ELSE floor(({x}) * 1000000) + mod(floor(({x}) * 1000000), 2) END) / 1000000"
)

FLOOR_SQL = """
INSERT INTO bench_floor (material_id, quarter, demand_t)
SELECT c.material_id, c.first_quarter + k.k,
       SUM(CASE WHEN NOT c.is_year THEN c.micro
                WHEN k.k < 3 THEN c.share
                ELSE c.micro - 3 * c.share END) / 1000000
FROM (
    -- the year split: a quarter of the micro-tonnes, rounded half to even
    SELECT material_id, first_quarter, is_year, micro,
           floor(micro / 4) + CASE mod(micro, 4) WHEN 3 THEN 1
                                                 WHEN 2 THEN mod(floor(micro / 4), 2)
                                                 ELSE 0 END AS share
    FROM (
        -- the line in tonnes at 6 places (as micro-tonnes), rounded half to even
        SELECT material_id, first_quarter, is_year,
               floor(raw) + CASE WHEN raw - floor(raw) > 0.5 THEN 1
                                 WHEN raw - floor(raw) = 0.5 THEN mod(floor(raw), 2)
                                 ELSE 0 END AS micro
        FROM (
            SELECT material_id, first_quarter, is_year,
                   quantity * CASE unit WHEN 't' THEN 1000000 WHEN 'kg' THEN 1000
                                        ELSE 453.59237 END AS raw
            FROM industry_demandline
            WHERE round_id = %(round_id)s AND withdrawn_at IS NULL AND NOT excluded
        ) r
    ) m
) c
JOIN (VALUES (0), (1), (2), (3)) AS k(k) ON k.k = 0 OR c.is_year
GROUP BY c.material_id, c.first_quarter + k.k
HAVING SUM(CASE WHEN NOT c.is_year THEN c.micro WHEN k.k < 3 THEN c.share ELSE c.micro - 3 * c.share END) > 0
"""

# Synthetic lines in one statement: firm, material, period (30 % years), unit and commitment
# vary with the row number; one in a hundred is excluded, one in a hundred withdrawn. A grade per
# line keeps the line key unique.
GENERATE_SQL = """
INSERT INTO industry_demandline
    (round_id, organisation_id, material_id, grade, period, first_quarter, is_year, quantity, unit,
     quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, version,
     withdrawn_at, excluded, exclusion_reason, excluded_by_id, excluded_at)
SELECT %(round_id)s, g.org, g.material, 'bench-' || g.n, g.period, g.first_quarter, g.is_year,
       g.quantity, g.unit, {to_tonnes}, g.commitment, 'DE', %(user_id)s, now(), now(), 1,
       CASE WHEN g.n %% 100 = 7 THEN now() END, g.n %% 100 = 3,
       CASE WHEN g.n %% 100 = 3 THEN 'benchmark' ELSE '' END, NULL, NULL
FROM (
    SELECT n,
           (%(orgs)s)[1 + abs(hashtext('o' || n)) %% %(org_count)s] AS org,
           (%(materials)s)[1 + abs(hashtext('m' || n)) %% %(material_count)s] AS material,
           CASE WHEN n %% 10 < 3 THEN (%(first_year)s + (n / 10) %% %(years)s)::text
                ELSE (%(first_year)s + (n / 7) %% %(years)s)::text || '-Q' || (1 + n %% 4)::text END AS period,
           CASE WHEN n %% 10 < 3 THEN (%(first_year)s + (n / 10) %% %(years)s) * 4
                ELSE (%(first_year)s + (n / 7) %% %(years)s) * 4 + n %% 4 END AS first_quarter,
           n %% 10 < 3 AS is_year,
           CASE n %% 3 WHEN 0 THEN 't' WHEN 1 THEN 'kg' ELSE 'lb' END AS unit,
           CASE n %% 3 WHEN 0 THEN round((1 + (n * 31) %% 997) / 7.0, 3)
                       WHEN 1 THEN round((100 + (n * 37) %% 99991) / 3.0, 3)
                       ELSE round((200 + (n * 41) %% 199999) / 9.0, 3) END AS quantity,
           CASE WHEN n %% 5 < 2 THEN 'firm' ELSE 'indicative' END AS commitment
    FROM generate_series(1::bigint, %(lines)s) AS n
) g
""".format(  # noqa: S608 - a constant: its only fields are the rounding expressions below
    to_tonnes=HALF_EVEN_6.format(
        x="g.quantity * CASE g.unit WHEN 't' THEN 1 WHEN 'kg' THEN 0.001 ELSE 0.00045359237 END"
    )
)


class PeakRss:
    """Samples the resident set size of this process while the block runs."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.page = __import__("os").sysconf("SC_PAGE_SIZE")

    def rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * self.page

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self):
        gc.collect()
        self.start = self.rss()
        self.peak = self.start
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 1024 / 1024


class Command(BaseCommand):
    help = (
        "Time the aggregation job against a plain SQL floor on N synthetic lines (PostgreSQL only)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lines",
            default="100000",
            help="Number of lines, or several separated by commas: --lines 100000,1000000",
        )
        parser.add_argument(
            "--firms", type=int, default=400, help="Member firms in the scratch round"
        )
        parser.add_argument("--renders", type=int, default=7, help="Page renders per median")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "benchmark_aggregation needs PostgreSQL: it measures the database's set-based "
                f"aggregation, and this database is {connection.vendor}. Set DATABASE_URL to a "
                "PostgreSQL database."
            )
        try:
            sizes = [
                int(part.replace("_", ""))
                for part in str(options["lines"]).split(",")
                if part.strip()
            ]
        except ValueError:
            raise CommandError("--lines takes whole numbers, e.g. --lines 100000,1000000") from None
        if not sizes or min(sizes) < 1:
            raise CommandError("--lines must be at least 1.")
        if options["firms"] < 1:
            raise CommandError("--firms must be at least 1.")
        desk, orgs = self._actors(options["firms"])
        results = {}
        for n in sizes:
            results[n] = self._run(n, desk, orgs, options["renders"])
        if len(sizes) > 1:
            small, large = min(sizes), max(sizes)
            scale = results[large]["ours"] / results[small]["ours"]
            self.stdout.write(
                f"scaling: {large:,} lines took {scale:.2f} x the time of {small:,} lines "
                f"(target <= {12 * large / small / 10:.0f} x)"
            )
        last = results[max(sizes)]
        self.stdout.write(f"aggregation_vs_sql_floor_ratio={last['ratio']:.3f}")

    # ---- set-up ----------------------------------------------------------------------------

    def _actors(self, firm_count: int):
        desk_org, _ = Organisation.objects.get_or_create(
            name="Benchmark trading desk", defaults={"kind": OrganisationKind.TRADINGHOUSE}
        )
        desk = User.objects.filter(email=BENCH_DESK).first()
        if desk is None:
            desk = User.objects.create_user(
                email=BENCH_DESK,
                organisation=desk_org,
                role=Role.TRADING_DESK,
                full_name="Benchmark desk",
            )
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not Authenticator.objects.filter(user=desk, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(desk, generate_totp_secret())
        existing = {
            o.name: o.pk for o in Organisation.objects.filter(name__startswith="Benchmark firm ")
        }
        missing = [
            f"Benchmark firm {i:05d}"
            for i in range(firm_count)
            if f"Benchmark firm {i:05d}" not in existing
        ]
        Organisation.objects.bulk_create(
            [Organisation(name=name, kind=OrganisationKind.MEMBER) for name in missing]
        )
        orgs = list(
            Organisation.objects.filter(
                name__in=[f"Benchmark firm {i:05d}" for i in range(firm_count)]
            )
            .order_by("name")
            .values_list("pk", flat=True)
        )
        return desk, orgs

    def _scratch_round(self, n: int, desk: User, orgs: list[int]) -> tuple[DemandRound, float]:
        self._drop_scratch()
        now = timezone.now()
        materials = list(Material.objects.order_by("sort_order").values_list("pk", flat=True)[:12])
        round = DemandRound.objects.create(
            title=TITLE,
            first_quarter=FIRST.index,
            last_quarter=LAST.index,
            opens_at=now - timezone.timedelta(days=30),
            closes_at=now - timezone.timedelta(days=1),
            state=RoundState.CLOSED,
            created_by=desk,
        )
        round.materials.set(materials)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                GENERATE_SQL,
                {
                    "round_id": round.pk,
                    "user_id": desk.pk,
                    "orgs": orgs,
                    "org_count": len(orgs),
                    "materials": materials,
                    "material_count": len(materials),
                    "first_year": FIRST.year,
                    "years": LAST.year - FIRST.year + 1,
                    "lines": n,
                },
            )
            cursor.execute("ANALYZE industry_demandline")
        return round, time.perf_counter() - started

    def _drop_scratch(self):
        from tradinghouse.aggregation.publishing import delete_sets

        for round in DemandRound.objects.filter(title=TITLE):
            delete_sets(round.position_sets.all())
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM industry_demandlinehistory WHERE line_id IN "
                    "(SELECT id FROM industry_demandline WHERE round_id = %s)",
                    [round.pk],
                )
                cursor.execute("DELETE FROM industry_demandline WHERE round_id = %s", [round.pk])
            round.delete()

    # ---- one size --------------------------------------------------------------------------

    def _run(self, n: int, desk: User, orgs: list[int], renders: int) -> dict:
        from tradinghouse.models import PositionSet
        from tradinghouse.services import AGGREGATION_JOB
        from tradinghouse.tasks import aggregate_round

        self.stdout.write(f"\n== {n:,} lines, {len(orgs)} firms")
        round, generation = self._scratch_round(n, desk, orgs)
        active = DemandLine.objects.filter(
            round=round, withdrawn_at__isnull=True, excluded=False
        ).count()
        self.stdout.write(
            f"generated {n:,} lines ({active:,} active) in {generation:.2f} s (not counted)"
        )
        try:
            ours, growth = [], []
            for _run in range(RUNS):
                job, _created = job_start(
                    kind=AGGREGATION_JOB,
                    subject=round,
                    created_by=desk,
                    enqueue=lambda job_id: None,
                )
                with PeakRss() as memory:
                    started = time.perf_counter()
                    aggregate_round(str(job.pk))
                    ours.append(time.perf_counter() - started)
                job.refresh_from_db()
                if job.state != "succeeded":
                    raise CommandError(f"The aggregation job failed: {job.error}")
                growth.append(memory.growth_mb)
            position_set = PositionSet.objects.get(round=round, is_current=True)
            floor = self._floor(round)
            self._check_totals(position_set)
            render, minimal = self._render_times(round, desk, renders)
        finally:
            self._drop_scratch()
        ours_median, floor_median = statistics.median(ours), statistics.median(floor)
        ratio = ours_median / floor_median
        self.stdout.write("floor SQL:\n" + FLOOR_SQL.strip().replace("%(round_id)s", str(round.pk)))
        self.stdout.write(
            f"aggregation job: median {ours_median:.3f} s of {', '.join(f'{t:.3f}' for t in ours)}"
        )
        self.stdout.write(
            f"SQL floor:       median {floor_median:.3f} s of {', '.join(f'{t:.3f}' for t in floor)}"
        )
        self.stdout.write(
            f"totals equal: yes ({job.result.get('cells')} cells, {job.result.get('hidden')} hidden)"
        )
        self.stdout.write(
            f"memory growth while the job ran: {max(growth):.1f} MB (target < 300 MB)"
        )
        self.stdout.write(
            f"desk dashboard: median {render * 1000:.1f} ms; minimal page: median {minimal * 1000:.1f} ms; "
            f"ratio {render / minimal:.2f} (target <= 3); first render of a new position set "
            f"(nothing kept yet): median {self._cold * 1000:.1f} ms, ratio {self._cold / minimal:.2f}"
        )
        self.stdout.write(f"ratio at {n:,} lines: {ratio:.3f} (target <= 1.5)")
        return {"ours": ours_median, "floor": floor_median, "ratio": ratio}

    def _floor(self, round: DemandRound) -> list[float]:
        times = []
        with connection.cursor() as cursor:
            for _run in range(RUNS):
                cursor.execute("DROP TABLE IF EXISTS bench_floor")
                cursor.execute(
                    "CREATE TEMPORARY TABLE bench_floor (material_id bigint, quarter integer, demand_t numeric)"
                )
                started = time.perf_counter()
                with transaction.atomic():
                    cursor.execute(FLOOR_SQL, {"round_id": round.pk})
                times.append(time.perf_counter() - started)
        return times

    def _check_totals(self, position_set) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT count(*) FROM bench_floor f
                FULL OUTER JOIN (SELECT material_id, quarter, demand_t FROM tradinghouse_positioncell
                                 WHERE position_set_id = %s) c
                  ON c.material_id = f.material_id AND c.quarter = f.quarter
                WHERE f.demand_t IS DISTINCT FROM c.demand_t
                """,
                [position_set.pk],
            )
            differences = cursor.fetchone()[0]
            cursor.execute("SELECT count(*), coalesce(sum(demand_t), 0) FROM bench_floor")
            count, total = cursor.fetchone()
        if differences:
            raise CommandError(
                f"The floor's totals differ from the aggregation's in {differences} cells."
            )
        self.stdout.write(
            f"floor cells: {count}, sum over all cells {Decimal(total):f} t (only a check figure)"
        )

    def _render_times(self, round: DemandRound, desk: User, renders: int) -> tuple[float, float]:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"]
        client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
        client.force_login(desk)
        secure = settings.SECURE_SSL_REDIRECT
        static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        dashboard, minimal = (
            reverse("tradinghouse:round_dashboard", args=[round.pk]),
            reverse("account_settings"),
        )

        def median_time(url, cold=False):
            response = client.get(url, secure=secure)  # warm-up
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}.")
            times = []
            for _i in range(renders):
                if cold:  # as right after publishing: nothing of this position set kept yet
                    cache.delete_many(
                        [
                            dashboard_cache_key(set_id, "desk", lang, PositionFilter())
                            for lang in ("de", "en")
                        ]
                    )
                started = time.perf_counter()
                client.get(url, secure=secure)
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        set_id = round.position_sets.get(is_current=True).pk
        with override_settings(STORAGES=static):
            self._cold = median_time(dashboard, cold=True)
            return median_time(dashboard), median_time(minimal)
