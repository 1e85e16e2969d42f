"""The desk's whole-round demand export as the background job writes it, against a ``COPY`` of
the same rows (docs/benchmarks.md, "Whole-round export as a background job").

Generates a closed round of ``--lines`` lines from ``--firms`` firms in one SQL statement (the
generator of ``benchmark_web``), then in the same run:

* ``COPY (SELECT …) TO STDOUT`` of the same columns in the same order, written to a file: the
  floor;
* the real export job (``industry.demandexport``) for the desk's CSV, then its XLSX, each writing
  its file into a temporary storage directory.

Each step runs three times, alternating; prints the best time of each, ``export_vs_copy_ratio`` (CSV job / COPY; the target is at most 2) and the
growth of the process's resident memory in each step (sampled every 20 ms). The round and its lines are
deleted at the end; the firms and the desk user stay for the next run.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from rohstoff.core.benchmarking import (
    bench_firms,
    bench_organisation,
    bench_user,
    drop_scratch_rounds,
    scratch_round,
)

TITLE = "Benchmark export"
PREFIX = "Benchmark export firm "
EMAIL = "benchmark-export-desk@benchmark.invalid"
TARGET_RATIO = 2.0
RUNS = 3


def _better(best, result):
    """The faster of two (seconds, bytes, memory) results; the memory figure is the larger."""
    if best is None:
        return result
    return (min(best[0], result[0]), result[1], max(best[2], result[2]))


# The export's columns in the export's order (industry.exports.export_header, with the firm),
# sorted as the export sorts (industry.demandexport.services.ORDER).
COPY_SQL = """
COPY (
    SELECT o.name, m.code, l.period, l.quantity, l.unit, l.commitment, l.grade,
           l.delivery_country, l.quantity_t,
           CASE WHEN l.withdrawn_at IS NOT NULL THEN 'withdrawn'
                WHEN l.excluded THEN 'excluded' ELSE 'active' END,
           l.exclusion_reason, coalesce(nullif(u.full_name, ''), u.email, ''), l.updated_at
    FROM industry_demandline l
    JOIN core_organisation o ON o.id = l.organisation_id
    JOIN core_material m ON m.id = l.material_id
    LEFT JOIN core_user u ON u.id = l.entered_by_id
    WHERE l.round_id = {round_id}
    ORDER BY o.name, m.sort_order, l.first_quarter, l.is_year, l.id
) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


class _PeakMemory:
    """The growth of the resident memory while the block runs, sampled every 20 ms (MB)."""

    def __enter__(self):
        self.start = self.peak = self._rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def grown(self) -> float:
        return (self.peak - self.start) / 1e6

    def _sample(self):
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Command(BaseCommand):
    help = "Time the desk's whole-round export job (CSV, XLSX) against a COPY of the same rows."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=1_000_000)
        parser.add_argument("--firms", type=int, default=5000)
        parser.add_argument("--no-xlsx", action="store_true", help="time the CSV only")

    def handle(self, *args, lines, firms, no_xlsx, **options):
        if connection.vendor != "postgresql":
            raise CommandError("benchmark_export generates its data with PostgreSQL's SQL.")
        if lines < 1 or firms < 2:
            raise CommandError("need --lines >= 1 and --firms >= 2")
        self._drop()
        try:
            desk, round = self._data(lines, firms)
            with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
                results = self._measure(desk, round, media, xlsx=not no_xlsx)
        finally:
            self._drop()
        copy = results["copy"]
        self.stdout.write(f"lines                     {lines:>12,}")
        for name, (seconds, size, grown) in results.items():
            self.stdout.write(
                f"{name:<8} {seconds:>8.2f} s {size / 1e6:>9.1f} MB file, "
                f"peak memory +{grown:.1f} MB"
            )
        ratio = results["csv"][0] / copy[0]
        self.stdout.write(f"export_vs_copy_ratio      {ratio:>12.2f}  (target <= {TARGET_RATIO})")
        if "xlsx" in results:
            xlsx_ratio = results["xlsx"][0] / copy[0]
            self.stdout.write(
                f"xlsx_vs_copy_ratio        {xlsx_ratio:>12.2f}  (target <= {TARGET_RATIO})"
            )

    # ---- data ----------------------------------------------------------------------------------

    def _data(self, lines, firms):
        from rohstoff.core.management.commands.benchmark_web import GENERATE_SQL
        from rohstoff.core.models import Material, OrganisationKind, Role
        from rohstoff.core.periods import Quarter

        desk_org = bench_organisation(f"{PREFIX}desk", OrganisationKind.TRADINGHOUSE)
        desk = bench_user(EMAIL, desk_org, Role.TRADING_DESK, full_name="Benchmark desk")
        orgs = [o.pk for o in bench_firms([f"{PREFIX}{i:05d}" for i in range(firms)])]
        materials = list(Material.objects.order_by("sort_order").values_list("pk", flat=True)[:30])
        round, seconds = scratch_round(
            title=TITLE,
            desk=desk,
            first=Quarter(2027, 1),
            last=Quarter(2031, 4),
            materials=materials,
            generate_sql=GENERATE_SQL,
            params={
                "member_lines": 1,
                "member_org": orgs[0],
                "orgs": orgs,
                "org_count": len(orgs),
                "lines": lines,
            },
        )
        self.stdout.write(
            f"generated {lines:,} lines from {firms:,} firms in {seconds:.1f} s (not counted)"
        )
        return desk, round

    def _drop(self):
        drop_scratch_rounds(TITLE)

    # ---- measuring -----------------------------------------------------------------------------

    def _measure(self, desk, round, media, *, xlsx: bool) -> dict:
        from django.core.files.storage import default_storage

        from industry.demandexport.services import ExportSpec, run_export_job
        from rohstoff.core.jobs import job_start
        from rohstoff.core.models import Job

        results = {}
        connection.ensure_connection()
        sql = COPY_SQL.format(round_id=int(round.pk))
        # Each step RUNS times, alternating, the best time kept: a single COPY of a freshly
        # generated round varied by half between runs.
        for _run in range(RUNS):
            with _PeakMemory() as memory:
                started = time.perf_counter()
                with tempfile.TemporaryFile() as out, connection.connection.cursor() as raw:
                    with raw.copy(sql) as copy:
                        for block in copy:
                            out.write(block)
                    size = out.tell()
                seconds = time.perf_counter() - started
            results["copy"] = _better(results.get("copy"), (seconds, size, memory.grown))
            for fmt in ("csv", "xlsx") if xlsx else ("csv",):
                spec = ExportSpec(round_id=round.pk, fmt=fmt, language="en", scope="desk")
                job, _created = job_start(
                    kind=spec.kind, subject=round, created_by=desk, enqueue=lambda _id: None
                )
                with _PeakMemory() as memory:
                    started = time.perf_counter()
                    run_export_job(str(job.pk))
                    seconds = time.perf_counter() - started
                job = Job.objects.get(pk=job.pk)
                if job.state != "succeeded":
                    raise CommandError(f"The {fmt} export job failed: {job.error}")
                size = default_storage.size(job.result["path"])
                results[fmt] = _better(results.get(fmt), (seconds, size, memory.grown))
                default_storage.delete(job.result["path"])
                job.delete()
        return results
