"""The production shape (docker-compose.yml, Dockerfile) starts from a fresh clone.

Docker does not run on CI machines, so these tests hold the compose file to the invariants that
made `docker compose up` fail before: no required .env, DEBUG forced off, a secret generated when
none is configured, healthchecks that work whatever ALLOWED_HOSTS says, and a worker that follows
the configured queue.
"""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def load_script(name):
    path = ROOT / "scripts" / name
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_no_service_requires_a_dot_env_file(compose):
    for name, service in compose["services"].items():
        for entry in service.get("env_file", []):
            assert isinstance(entry, dict) and entry.get("required") is False, (name, entry)


def test_the_app_services_run_in_production_mode_even_beside_the_demos_env(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DEBUG"] == "false", name  # `environment` wins over env_file
        assert "SECRET_KEY" not in environment, name  # from .env or generated, never in the file


def test_every_long_running_service_has_a_healthcheck(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck"]
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    # The image's web healthcheck must not mark beat or the one-shot migration unhealthy.
    assert services["beat"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["healthcheck"] == {"disable": True}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_the_worker_consumes_the_configured_queue(compose):
    command = compose["services"]["worker"]["command"]
    assert "-Q" not in command and not any(arg.startswith("--queues") for arg in command)
    # Without -Q a worker consumes the app's default queue, which is the CELERY_QUEUE setting.
    env = {**os.environ, "CELERY_QUEUE": "installation-2"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from rohstoff.celery import app; "
            "print(','.join(app.amqp.queues))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "installation-2"


def test_the_image_generates_its_secret_key_once_and_keeps_it(tmp_path):
    entrypoint = str(ROOT / "scripts" / "docker-entrypoint")
    env = {"PATH": os.environ["PATH"], "SECRET_KEY_FILE": str(tmp_path / "s" / "secret_key")}
    show = ["sh", "-c", 'printf %s "$SECRET_KEY"']
    first = subprocess.run([entrypoint, *show], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([entrypoint, *show], env=env, capture_output=True, text=True, check=True)
    assert len(first.stdout) >= 50 and first.stdout == again.stdout
    assert (tmp_path / "s" / "secret_key").stat().st_mode & 0o077 == 0
    configured = subprocess.run(
        [entrypoint, *show], env={**env, "SECRET_KEY": "from-env"}, capture_output=True, text=True
    )
    assert configured.stdout == "from-env"


def test_dockerfile_uses_the_entrypoint_and_leaves_dot_env_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/scripts/docker-entrypoint"]' in dockerfile
    assert 'CMD ["python", "scripts/healthcheck"]' in dockerfile
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


@pytest.mark.parametrize(
    "allowed",
    [
        "rohstoff.example",
        "rohstoff.example,localhost,127.0.0.1",
        ".rohstoff.example",
        " rohstoff.example , intern.example",
        "*",
        "",
    ],
)
def test_the_healthcheck_sends_a_host_that_allowed_hosts_accepts(allowed, client, settings, db):
    healthcheck = load_script("healthcheck")
    settings.ALLOWED_HOSTS = [h.strip() for h in allowed.split(",") if h.strip()]
    host = healthcheck.allowed_host(allowed or healthcheck.DEFAULT_ALLOWED_HOSTS)
    if not settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = healthcheck.DEFAULT_ALLOWED_HOSTS.split(",")
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200, (allowed, host, response.status_code)


def test_healthz_from_localhost_alone_is_refused_when_hosts_are_set(client, settings, db):
    """Why the healthcheck sends a Host header: a production ALLOWED_HOSTS refuses 127.0.0.1."""
    settings.ALLOWED_HOSTS = ["rohstoff.example"]
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_healthz_answers_over_plain_http_behind_tls_too(client, settings, db):
    """With HTTPS=true every other page redirects to https; the container check speaks http."""
    settings.ALLOWED_HOSTS = ["rohstoff.example"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/materials/", HTTP_HOST="rohstoff.example").status_code == 301
    assert client.get("/healthz", HTTP_HOST="rohstoff.example").status_code == 200
