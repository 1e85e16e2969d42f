"""The first-run demo runs on SQLite (README: the platform with demo data, jobs in-process).

The test suite runs against PostgreSQL, where the fast paths use what only PostgreSQL has (COPY,
arrays, statement triggers, ``percentile_disc``). Each such path keeps a portable way for the
demo; this test migrates a fresh SQLite database, seeds the demo (which previews, releases and
answers allocations, declines included) and follows every link each demo user can reach, in
a separate process, failing on any server error. Large exports are forced into background jobs
(one line is "large"), so the jobs' SQLite writers run too."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env, timeout=600):
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_demo_migrates_seeds_and_serves_every_page_on_sqlite(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
        "DEBUG": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EXPORT_INLINE_MAX_LINES": "1",
        "DJANGO_SETTINGS_MODULE": "rohstoff.settings",
        "PYTHONPATH": str(ROOT),
    }
    _run(["manage.py", "migrate", "--no-input", "-v0"], env)
    _run(["manage.py", "seed_demo"], env)
    out = _run(["tests/core/demo_crawl.py", "400"], env)
    # Every kind of demo user was crawled, each well beyond its home page.
    crawled = dict(line.split(": ", 1) for line in out.splitlines() if "@" in line)
    for who in ("desk@handelshaus.example", "viewer@bmwe.example", "analyst@agentur.example"):
        assert int(crawled[who].split()[0]) > 40, out
    assert any(who.startswith("angebot@") for who in crawled), out
    # The export links started background jobs, written without COPY, all successful.
    exports = out.split("(exports: ")[1].split(")")[0]  # "csv N, xlsx M"
    csv_jobs, xlsx_jobs = (int(part.split()[1]) for part in exports.split(", "))
    assert csv_jobs > 0 and xlsx_jobs > 0, out
