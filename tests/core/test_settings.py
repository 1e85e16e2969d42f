"""Settings are read strictly from the environment: a malformed value stops start-up with a clear
message, and production settings pass `check --deploy` apart from HSTS preload."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET = "prod-like-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP"  # noqa: S105


def manage(*args, **env_overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": SECRET, **env_overrides}
    env.pop(
        "DJANGO_ALLOW_ASYNC_UNSAFE", None
    )  # set for Playwright in this process, never in production
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean (use true or false)."),
        ("HTTPS", "sometimes", "HTTPS='sometimes' is not a boolean (use true or false)."),
        ("DATABASE_URL", "not-a-url", "DATABASE_URL='not-a-url' is not a PostgreSQL or SQLite URL"),
        (
            "DATABASE_URL",
            "postgres://app:s3cret@db:port/rohstoff",
            "DATABASE_URL='postgres://app:***@db:port/rohstoff' is not a database URL",
        ),
        ("DATABASE_URL", "mysql://app@db/rohstoff", "is not a PostgreSQL or SQLite URL"),
        (
            "REDIS_URL",
            "localhost:6379",
            "REDIS_URL='localhost:6379' must start with redis:// or rediss://.",
        ),
        ("DISCLOSURE_MIN_FIRMS", "five", "DISCLOSURE_MIN_FIRMS='five' is not a whole number."),
        ("DISCLOSURE_P", "ten percent", "DISCLOSURE_P='ten percent' is not a number."),
        ("JOB_STALE_AFTER_SECONDS", "1.5", "JOB_STALE_AFTER_SECONDS='1.5' is not a whole number."),
        ("JOB_STALE_AFTER_SECONDS", "3", "JOB_STALE_AFTER_SECONDS=3 is too short"),
        ("EMAIL_URL", "pigeon://loft", "EMAIL_URL='pigeon://loft' is not an e-mail URL"),
        (
            "LOG_LEVEL",
            "chatty",
            "LOG_LEVEL='CHATTY' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL.",
        ),
        ("SECRET_KEY", "", "SECRET_KEY is not set."),
    ],
)
def test_a_malformed_setting_stops_start_up_with_a_clear_message(variable, value, message):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line and message in last_line
    assert "s3cret" not in result.stderr  # passwords never reach the log


def test_well_formed_settings_start(db):
    result = manage(
        "check", DEBUG="true", DISCLOSURE_MIN_FIRMS="7", DISCLOSURE_P="0.15", LOG_LEVEL="warning"
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_with_production_settings_reports_only_hsts_preload():
    result = manage(
        "check",
        "--deploy",
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="rohstoff.example",
        CSRF_TRUSTED_ORIGINS="https://rohstoff.example",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    reported = set(re.findall(r"\(([a-z_]+\.[EWI]\d+)\)", output))
    assert sorted(reported) == ["security.W021"], output


def test_postgresql_compiles_no_query_just_in_time(db):
    """JIT compiled a dashboard's count (estimated over a million lines, reading none) for 18 ms:
    the connection turns it off (docs/operations.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
