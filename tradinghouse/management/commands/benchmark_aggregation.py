"""Speed and memory of the aggregation against its SQL floor (PostgreSQL only; docs/benchmarks.md,
"Aggregation at national scale").

For each N it fills a scratch round with N synthetic demand lines in the national shape (5,000
firms, 30 materials, 20 quarters by default; both commitments, every unit, years and quarters, some
lines excluded and withdrawn), runs our real aggregation task in-process, then the floor: plain SQL
(``tradinghouse.aggregation.benchmark_sql``) that persists the same per-firm rows, cells and element
cells into the same tables, reading the stored tonnes the job reads. It checks the floor's rows
against ours and prints the times per phase, the temporary-file bytes, the memory the process grew
by while the job ran, the desk dashboard's render time against a minimal page, and as its last line
``aggregation_vs_sql_floor_ratio=<x>``. Everything it creates for the round is removed again.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from industry.models import DemandLine, DemandRound
from rohstoff.core.benchmarking import (
    bench_firms,
    bench_organisation,
    bench_user,
    drop_scratch_rounds,
    scratch_round,
)
from rohstoff.core.chemistry import LCE_PER_LITHIUM
from rohstoff.core.jobs import job_start
from rohstoff.core.models import Material, OrganisationKind, Role, User
from rohstoff.core.periods import Quarter
from tradinghouse.aggregation.benchmark_sql import (
    FLOOR_SQL,
    GENERATE_SQL,
)
from tradinghouse.selectors import PositionFilter
from tradinghouse.views import dashboard_cache_key

TITLE = "Benchmark scratch round (benchmark_aggregation)"
BENCH_DESK = "benchmark-desk@rohstoff.invalid"
FIRST, LAST = Quarter(2027, 1), Quarter(2031, 4)
RUNS = 3
MAX_LINES = 5_000_000
MAX_RUNS = 7
MAX_FIRMS = 20_000
MAX_MATERIALS = 60
SCRATCH_MATERIAL = "benchmark-aggregation-"


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


class Phases:
    """Wall time per phase of the job: each SQL statement is put into the phase its text names,
    and each COMMIT (with the deferred foreign-key checks it runs) into "commit"."""

    ORDER = (
        "read + per-firm rows",
        "line count",
        "cells",
        "element cells",
        "comparison",
        "clean-up",
        "commit",
    )

    def __init__(self, tables: dict):
        from tradinghouse.aggregation import pooling

        self.cell_sql = pooling.CELL_STATS_SQL.format(**tables) if tables else None
        self.element_sql = pooling.ELEMENT_STATS_SQL.format(**tables) if tables else None
        self.times: dict[str, float] = dict.fromkeys(self.ORDER, 0.0)

    def phase(self, sql: str) -> str:
        head = sql.lstrip()[:200]
        if head.startswith("INSERT INTO") and "tradinghouse_firmposition" in head:
            return "read + per-firm rows"
        if head.startswith("SELECT COUNT(*) FROM industry_demandline"):
            return "line count"
        if sql == self.cell_sql or (head.startswith("INSERT INTO") and "positioncell" in head):
            return "cells"
        if sql == self.element_sql or (head.startswith("INSERT INTO") and "elementcell" in head):
            return "element cells"
        if "firm_changes" in sql:
            return "comparison"
        if head.startswith("DELETE"):
            return "clean-up"
        return "other"

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            name = self.phase(sql)
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - started

    @contextmanager
    def measuring(self):
        original = connection._commit

        def timed_commit():
            started = time.perf_counter()
            try:
                return original()
            finally:
                self.times["commit"] += time.perf_counter() - started

        connection._commit = timed_commit
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            del connection._commit


def temp_bytes() -> int:
    """This database's temporary-file bytes so far (this backend's counters flushed first)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:  # the flush happens at the end of the statement above
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


class Command(BaseCommand):
    help = (
        "Time the aggregation job against a plain SQL floor on N synthetic lines in the national "
        "shape (PostgreSQL only)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lines",
            default="1000000",
            help="Number of lines, or several separated by commas: --lines 1000000,3000000",
        )
        parser.add_argument(
            "--firms", type=int, default=5000, help="Member firms in the scratch round (5000)"
        )
        parser.add_argument(
            "--materials", type=int, default=30, help="Materials in the scratch round (30)"
        )
        parser.add_argument("--renders", type=int, default=7, help="Page renders per median")
        parser.add_argument(
            "--runs",
            type=int,
            default=RUNS,
            help=f"Timed runs of the job and of the floor ({RUNS})",
        )

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
        if not sizes or min(sizes) < 1 or max(sizes) > MAX_LINES or len(sizes) > 4:
            raise CommandError(f"--lines: one to four sizes from 1 to {MAX_LINES:,}.")
        if not 1 <= options["runs"] <= MAX_RUNS:
            raise CommandError(f"--runs must be from 1 to {MAX_RUNS}.")
        self.runs = options["runs"]
        if not 1 <= options["firms"] <= MAX_FIRMS:
            raise CommandError(f"--firms must be from 1 to {MAX_FIRMS}.")
        if not 1 <= options["materials"] <= MAX_MATERIALS:
            raise CommandError(f"--materials must be from 1 to {MAX_MATERIALS}.")
        desk, orgs = self._actors(options["firms"])
        materials = self._materials(options["materials"])
        results = {}
        try:
            for n in sizes:
                results[n] = self._run(n, desk, orgs, materials, options["renders"])
        finally:
            self._drop_materials()
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
        desk_org = bench_organisation("Benchmark trading desk", OrganisationKind.TRADINGHOUSE)
        desk = bench_user(
            BENCH_DESK, desk_org, Role.TRADING_DESK, totp=True, full_name="Benchmark desk"
        )
        orgs = [o.pk for o in bench_firms([f"Benchmark firm {i:05d}" for i in range(firm_count)])]
        return desk, orgs

    def _materials(self, count: int) -> list[int]:
        """The reference materials first; scratch materials (removed afterwards) make up the
        national shape's 30 where the reference list is shorter."""
        self._drop_scratch()  # a scratch round left by an interrupted run still references them
        self._drop_materials()
        reference = list(Material.objects.order_by("sort_order", "pk")[:count])
        extra = [
            Material(
                code=f"{SCRATCH_MATERIAL}{i:02d}",
                name_en=f"Benchmark material {i}",
                name_de=f"Benchmark-Material {i}",
                element=reference[i % len(reference)].element,
                family=reference[i % len(reference)].family,
                crma=reference[i % len(reference)].crma,
                element_content=reference[i % len(reference)].element_content,
                sort_order=900 + i,
            )
            for i in range(count - len(reference))
        ]
        Material.objects.bulk_create(extra)
        return [m.pk for m in reference] + list(
            Material.objects.filter(code__startswith=SCRATCH_MATERIAL)
            .order_by("code")
            .values_list("pk", flat=True)
        )

    def _drop_materials(self) -> None:
        Material.objects.filter(code__startswith=SCRATCH_MATERIAL).delete()

    def _scratch_round(
        self, n: int, desk: User, orgs: list[int], materials: list[int]
    ) -> tuple[DemandRound, float]:
        self._drop_scratch()
        return scratch_round(
            title=TITLE,
            desk=desk,
            first=FIRST,
            last=LAST,
            materials=materials,
            generate_sql=GENERATE_SQL,
            params={"orgs": orgs, "org_count": len(orgs), "lines": n},
        )

    def _drop_scratch(self):
        drop_scratch_rounds(TITLE)

    # ---- one size --------------------------------------------------------------------------

    def _run(self, n: int, desk: User, orgs: list[int], materials: list[int], renders: int) -> dict:
        from tradinghouse.aggregation import pooling
        from tradinghouse.aggregation.publishing import delete_sets
        from tradinghouse.models import FirmPosition, PositionSet
        from tradinghouse.services import AGGREGATION_JOB
        from tradinghouse.tasks import aggregate_round

        self.stdout.write(
            f"\n== {n:,} lines, {len(orgs):,} firms, {len(materials)} materials, "
            f"{LAST.index - FIRST.index + 1} quarters"
        )
        round, generation = self._scratch_round(n, desk, orgs, materials)
        active = DemandLine.objects.filter(
            round=round, withdrawn_at__isnull=True, excluded=False
        ).count()
        self.stdout.write(
            f"generated {n:,} lines ({active:,} active) in {generation:.2f} s (not counted)"
        )
        try:
            ours, growth, spills, phases = [], [], [], []
            # RUNS first aggregations (the previous run's set removed before each, not timed),
            # then one re-aggregation that finds the last one published (comparison, clean-up).
            for run in range(self.runs + 1):
                if run < self.runs:
                    delete_sets(round.position_sets.all())
                job, _created = job_start(
                    kind=AGGREGATION_JOB,
                    subject=round,
                    created_by=desk,
                    enqueue=lambda job_id: None,
                )
                spilled = temp_bytes()
                with PeakRss() as memory, Phases(pooling.tables()).measuring() as phase:
                    started = time.perf_counter()
                    aggregate_round(str(job.pk))
                    ours.append(time.perf_counter() - started)
                spills.append(temp_bytes() - spilled)
                phase.times["other"] = ours[-1] - sum(phase.times.values())
                phases.append(phase.times)
                job.refresh_from_db()
                if job.state != "succeeded":
                    raise CommandError(f"The aggregation job failed: {job.error}")
                growth.append(memory.growth_mb)
            again, ours = ours[-1], ours[: self.runs]
            position_set = PositionSet.objects.get(round=round, is_current=True)
            firm_rows = FirmPosition.objects.filter(position_set=position_set).count()
            floor, floor_spills, floor_phases = self._floor(round, desk, position_set)
            render, minimal = self._render_times(round, desk, renders)
        finally:
            self._drop_scratch()
        ours_median, floor_median = statistics.median(ours), statistics.median(floor)
        ratio = ours_median / floor_median
        self.stdout.write("floor SQL (one transaction, committed):")
        for sql in FLOOR_SQL:
            self.stdout.write(sql.strip())
        self.stdout.write(
            f"aggregation job: median {ours_median:.3f} s of {', '.join(f'{t:.3f}' for t in ours)}"
        )
        for number, times in enumerate(phases[: self.runs], start=1):
            self.stdout.write(f"  run {number} by phase: {self._phases(times)}")
        self.stdout.write(
            f"SQL floor:       median {floor_median:.3f} s of {', '.join(f'{t:.3f}' for t in floor)}"
        )
        for number, times in enumerate(floor_phases, start=1):
            self.stdout.write(f"  floor by phase: {self._phases(times)} (run {number})")
        self.stdout.write(
            f"re-aggregation (an earlier set published): {again:.3f} s, "
            f"{again / floor_median:.2f} x the floor; by phase: {self._phases(phases[-1])}"
        )
        self.stdout.write(
            f"totals equal: yes ({job.result.get('cells')} cells, {job.result.get('hidden')} "
            f"hidden, {job.result.get('element_cells')} element cells, {firm_rows:,} per-firm rows)"
        )
        self.stdout.write(
            f"memory growth while the job ran: {max(growth):.1f} MB (target < 300 MB; largest of "
            "all runs)"
        )
        self.stdout.write(
            f"temporary files: job {max(spills[: self.runs]) / 2**20:.1f} MB, floor "
            f"{max(floor_spills) / 2**20:.1f} MB, re-aggregation {spills[-1] / 2**20:.1f} MB "
            "(pg_stat_database.temp_bytes, largest first aggregation)"
        )
        self.stdout.write(
            f"desk dashboard: median {render * 1000:.1f} ms; minimal page: median {minimal * 1000:.1f} ms; "
            f"ratio {render / minimal:.2f} (target <= 3); first render of a new position set "
            f"(nothing kept yet): median {self._cold * 1000:.1f} ms, ratio {self._cold / minimal:.2f}"
        )
        self.stdout.write(f"ratio at {n:,} lines: {ratio:.3f} (target <= 1.5)")
        return {"ours": ours_median, "floor": floor_median, "ratio": ratio}

    def _floor(self, round: DemandRound, desk: User, ours) -> tuple[list, list, list]:
        """The floor's SQL into a position set of its own (not published), committed; compared
        with our current set after the first run; each floor set removed again (not timed)."""
        from tradinghouse.aggregation.publishing import delete_sets
        from tradinghouse.models import PositionSet

        params = {
            "round_id": round.pk,
            "min_firms": settings.DISCLOSURE_MIN_FIRMS,
            "p": Decimal(settings.DISCLOSURE_P),
            "lce": LCE_PER_LITHIUM,
        }
        times, spills, phases = [], [], []
        for run in range(self.runs):
            spilled = temp_bytes()
            phase = dict.fromkeys(("per-firm rows", "cells", "element cells", "commit"), 0.0)
            started = time.perf_counter()
            with (
                Phases({}).measuring() as commit,
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                floor_set = PositionSet.objects.create(
                    round=round,
                    min_firms=settings.DISCLOSURE_MIN_FIRMS,
                    p_rule=Decimal(settings.DISCLOSURE_P),
                )
                cursor.execute("SET LOCAL work_mem = '64MB'")  # as the job's pooling
                for name, sql in zip(phase, FLOOR_SQL, strict=False):
                    begun = time.perf_counter()
                    cursor.execute(sql, {**params, "set_id": floor_set.pk})
                    phase[name] = time.perf_counter() - begun
            times.append(time.perf_counter() - started)
            phase["commit"] = commit.times["commit"]
            phases.append(phase)
            spills.append(temp_bytes() - spilled)
            if run == 0:
                self._check_totals(ours.pk, floor_set.pk)
            delete_sets(PositionSet.objects.filter(pk=floor_set.pk))
        return times, spills, phases

    @staticmethod
    def _phases(times: dict) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in times.items())

    def _check_totals(self, ours: int, floor: int) -> None:
        """The floor's rows equal ours: every per-firm row, every cell's totals and contributors,
        every element cell's total (to the micro-tonne)."""
        checks = {
            "per-firm rows": """
                SELECT count(*) FROM (SELECT * FROM tradinghouse_firmposition WHERE position_set_id = %(a)s) a
                FULL JOIN (SELECT * FROM tradinghouse_firmposition WHERE position_set_id = %(b)s) b
                  ON a.organisation_id = b.organisation_id AND a.material_id = b.material_id
                 AND a.quarter = b.quarter
                WHERE a.demand_t IS DISTINCT FROM b.demand_t
                   OR a.demand_firm_t IS DISTINCT FROM b.demand_firm_t
                   OR a.demand_indicative_t IS DISTINCT FROM b.demand_indicative_t""",
            "cells": """
                SELECT count(*) FROM (SELECT * FROM tradinghouse_positioncell WHERE position_set_id = %(a)s) a
                FULL JOIN (SELECT * FROM tradinghouse_positioncell WHERE position_set_id = %(b)s) b
                  ON a.material_id = b.material_id AND a.quarter = b.quarter
                WHERE a.demand_t IS DISTINCT FROM b.demand_t
                   OR a.demand_firm_t IS DISTINCT FROM b.demand_firm_t
                   OR a.demand_indicative_t IS DISTINCT FROM b.demand_indicative_t
                   OR a.contributors IS DISTINCT FROM b.contributors
                   OR a.firm_contributors IS DISTINCT FROM b.firm_contributors
                   OR a.indicative_contributors IS DISTINCT FROM b.indicative_contributors
                   OR a.largest_share IS DISTINCT FROM b.largest_share""",
            "element cells": """
                SELECT count(*) FROM (SELECT * FROM tradinghouse_elementcell WHERE position_set_id = %(a)s) a
                FULL JOIN (SELECT * FROM tradinghouse_elementcell WHERE position_set_id = %(b)s) b
                  ON a.element = b.element AND a.quarter = b.quarter
                WHERE a.demand_t IS NULL OR b.demand_t IS NULL
                   OR abs(a.demand_t - b.demand_t) > 0.000001
                   OR a.contributors IS DISTINCT FROM b.contributors""",
        }
        with connection.cursor() as cursor:
            for name, sql in checks.items():
                cursor.execute(sql, {"a": ours, "b": floor})
                differences = cursor.fetchone()[0]
                if differences:
                    raise CommandError(
                        f"The floor's {name} differ from the aggregation's in {differences} rows."
                    )
            cursor.execute(
                "SELECT count(*), coalesce(sum(demand_t), 0) FROM tradinghouse_positioncell "
                "WHERE position_set_id = %s",
                [floor],
            )
            count, total = cursor.fetchone()
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
