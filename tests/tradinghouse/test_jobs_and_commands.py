"""The job on a real Celery worker, the SQL on SQLite, the benchmark command and the demo."""

import io
import re
import sqlite3
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from rohstoff.core.models import Job, Material
from tests.conftest import wait_for
from tests.tradinghouse.conftest import cell
from tradinghouse import services
from tradinghouse.aggregation import pooling
from tradinghouse.models import PositionSet


@pytest.mark.worker
def test_a_real_worker_runs_the_job_end_to_end(
    celery_worker_redis, make_round, firms, add_line, desk
):
    r = make_round()
    for i, firm in enumerate(firms[:6]):
        add_line(r, firm, "lithium-hydroxide", "2027", 40 + i)
    job, created = services.aggregation_start(round=r, actor=desk)  # autocommit: enqueued at once
    assert created

    finished = wait_for(
        lambda: Job.objects.filter(pk=job.pk, state__in=["succeeded", "failed"]).first(), timeout=60
    )

    assert finished.state == "succeeded", finished.error
    assert finished.progress == 1.0 and finished.started_at and finished.finished_at
    r.refresh_from_db()
    assert r.state == "aggregated"
    assert cell(r, "lithium-hydroxide", "2027-Q4").demand_t == Decimal(
        "63.750000"
    )  # (40+..+45) / 4
    assert PositionSet.objects.filter(round=r, is_current=True).count() == 1


def _sqlite_sql(sql: str) -> str:
    return re.sub(r"%\((\w+)\)s", r":\1", sql).replace("%%", "%")


def test_the_aggregation_sql_runs_on_sqlite_with_the_same_half_even_split():
    """The demo runs on SQLite: the same statements, on SQLite's own arithmetic."""
    db = sqlite3.connect(":memory:")
    db.executescript(
        """
        CREATE TABLE line (round_id int, organisation_id int, material_id int, commitment text,
                           first_quarter int, is_year bool, quantity_t decimal, withdrawn_at text, excluded bool);
        CREATE TABLE fp (id integer primary key, position_set_id int, organisation_id int, material_id int,
                         quarter int, demand_t decimal, demand_firm_t decimal, demand_indicative_t decimal);
        CREATE TABLE material (id int, element text, element_content decimal);
        INSERT INTO material VALUES (1, 'Li', 0.1653877318);
        INSERT INTO line VALUES (7, 1, 1, 'firm', 8108, 1, 10.000002, NULL, 0);
        INSERT INTO line VALUES (7, 2, 1, 'indicative', 8108, 1, 0.00001, NULL, 0);
        INSERT INTO line VALUES (7, 2, 1, 'indicative', 8109, 0, 5.5, NULL, 0);
        INSERT INTO line VALUES (7, 3, 1, 'firm', 8109, 0, 99, NULL, 1);
        INSERT INTO line VALUES (7, 3, 1, 'firm', 8109, 0, 99, '2027-01-01', 0);
        """
    )
    tables = {"line": "line", "fp": "fp", "material": "material"}
    params = {"round_id": 7, "firm": "firm", "false": False}
    db.execute(_sqlite_sql(pooling.firm_positions_sql(tables)), {**params, "set_id": 1})
    # every active line counted once, the excluded and the withdrawn one not at all
    assert (
        db.execute(_sqlite_sql(pooling.LINE_COUNT_SQL.format(**tables)), params).fetchone()[0] == 3
    )
    rows = db.execute(
        "SELECT organisation_id, quarter, demand_t, demand_firm_t FROM fp ORDER BY 1, 2"
    ).fetchall()
    assert [(o, q, round(t, 6), round(f, 6)) for o, q, t, f in rows] == [
        (1, 8108, 2.5, 2.5),
        (1, 8109, 2.5, 2.5),
        (1, 8110, 2.5, 2.5),
        (1, 8111, 2.500002, 2.500002),
        (2, 8108, 0.000002, 0.0),
        (2, 8109, 5.500002, 0.0),
        (2, 8110, 0.000002, 0.0),
        (2, 8111, 0.000004, 0.0),
    ]
    stats = db.execute(
        _sqlite_sql(pooling.CELL_STATS_SQL.format(**tables)), {"set_id": 1}
    ).fetchall()
    q2 = next(s for s in stats if s[1] == 8109)
    # contributors 2, total 8000002 micro-t, largest 5500002, second 2500000
    assert q2[2:6] == (2, 8000002, 5500002, 2500000)
    elements = db.execute(
        _sqlite_sql(pooling.ELEMENT_STATS_SQL.format(**tables)), {"set_id": 1}
    ).fetchall()
    assert len(elements) == 4 and all(e[0] == "Li" and e[2] == 2 for e in elements)


def test_benchmark_refuses_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("benchmark_aggregation", lines="100")


def test_benchmark_runs_at_a_small_size(db, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    out = io.StringIO()
    call_command("benchmark_aggregation", lines="300,600", firms=20, renders=1, stdout=out)
    text = out.getvalue()
    assert "INSERT INTO tradinghouse_firmposition" in text and "totals equal: yes" in text
    assert "INSERT INTO tradinghouse_positioncell" in text
    assert "INSERT INTO tradinghouse_elementcell" in text
    assert "memory growth while the job ran" in text and "desk dashboard: median" in text
    assert re.search(r"run 1 by phase: read \+ per-firm rows [\d.]+ s, .* commit [\d.]+ s", text)
    assert re.search(r"floor by phase: per-firm rows [\d.]+ s, .* commit [\d.]+ s", text)
    assert re.search(
        r"temporary files: job [\d.]+ MB, floor [\d.]+ MB, re-aggregation [\d.]+ MB", text
    )
    assert re.search(r"re-aggregation \(an earlier set published\): [\d.]+ s", text)
    assert re.search(r"scaling: 600 lines took [\d.]+ x the time of 300 lines", text)
    assert re.fullmatch(r"aggregation_vs_sql_floor_ratio=\d+\.\d{3}", text.strip().splitlines()[-1])
    assert not PositionSet.objects.exists()  # the scratch round is gone again
    assert not Material.objects.filter(code__startswith="benchmark-aggregation-").exists()


def test_demo_aggregates_the_closed_round_with_disclosed_and_hidden_cells_and_is_safe_twice(
    db, django_capture_on_commit_callbacks
):
    from industry import demo as industry_demo
    from rohstoff.core.demo import seed_accounts
    from tradinghouse import demo

    with django_capture_on_commit_callbacks(execute=True):
        context = industry_demo.seed(seed_accounts())
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(context)
        demo.seed(context)
    closed = context["rounds"]["closed"]
    closed.refresh_from_db()
    current = PositionSet.objects.get(round=closed, is_current=True)
    assert closed.state == "aggregated"
    assert (
        current.cells.filter(disclosed=True).exists()
        and current.cells.filter(disclosed=False).exists()
    )
    assert PositionSet.objects.filter(round=closed).count() == 1
    assert not PositionSet.objects.exclude(
        round=closed
    ).exists()  # open and draft rounds stay without
