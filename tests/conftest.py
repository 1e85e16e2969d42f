"""Shared test fixtures: users of every role, API clients, TOTP codes, a real Celery worker,
and Playwright with Debian's Chromium plus an axe-core check."""

import os
import time

import pytest

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls there
# unless told that this is intended (it is: the tests are synchronous).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105


def pytest_configure(config):
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache (rate limits, used TOTP codes) is per test process, so each test can start clean;
    # Redis stays the broker. Parallel test processes each get their own queue.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    settings.CELERY_TASK_DEFAULT_QUEUE = f"rohstoff-test-{worker}"
    # Tests that are not about the worker run jobs in-process; the worker fixture turns this off.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and used TOTP codes live in the cache: start every test without them."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _reference_materials(request, django_db_blocker):
    """The reference materials are loaded by a migration, and a transactional test (live server,
    real worker) ends with a flush that empties them. Before every test that uses the database,
    put them back if they are gone; this runs before the test's own transaction starts, so what it
    loads stays for the tests that follow."""
    uses_db = request.node.get_closest_marker("django_db") is not None or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue("django_db_setup")  # the test database, not the configured one
        from rohstoff.core.models import Material
        from rohstoff.core.reference import load_materials

        with django_db_blocker.unblock():
            if not Material.objects.exists():
                load_materials(Material)
    yield


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    from rohstoff.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    yield


# ---- organisations and users ---------------------------------------------------------------


@pytest.fixture
def make_org(db):
    from rohstoff.core.models import Organisation

    def make(name=None, kind="member"):
        name = name or f"{kind.title()} {Organisation.objects.count() + 1}"
        return Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]

    return make


@pytest.fixture
def make_user(db, make_org):
    """make_user(role, org=None, email=None, mfa=True): a user with password TEST_PASSWORD.

    Roles that require a second factor get a TOTP authenticator (its secret on ``user.totp_secret``)
    unless mfa=False.
    """
    from rohstoff.core.models import ROLES_BY_KIND, User

    kind_of = {role: kind for kind, roles in ROLES_BY_KIND.items() for role in roles}

    def make(role="member", org=None, email=None, mfa=True, staff=False, name=""):
        if org is None and role:
            org = (
                make_org(kind=kind_of[role])
                if kind_of[role] != "member"
                else make_org(kind="member")
            )
        email = email or f"{role or 'staff'}-{User.objects.count() + 1}@test.example"
        user = User.objects.create_user(
            email=email,
            password=TEST_PASSWORD,
            organisation=org,
            role=role,
            is_staff=staff,
            is_superuser=staff,
            full_name=name or email.split("@")[0],
        )
        user.totp_secret = None
        if mfa and user.needs_mfa:
            user.totp_secret = enable_totp(user)
        return user

    return make


def enable_totp(user) -> str:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, offset: int = 0) -> str:
    """The authenticator's code now (``offset`` windows of 30 s away).

    allauth accepts only the current window (no tolerance): a code computed in the window's last
    seconds would reach the server after it has expired, so wait for the next window then.
    """
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.05)
    window = int(time.time()) // 30 + offset
    # allauth accepts a code once (replay protection): a second sign-in of the same user in the
    # same window waits for the next code.
    if offset == 0 and _LAST_WINDOW.get(secret) == window:
        time.sleep(30 - time.time() % 30 + 0.05)
        window = int(time.time()) // 30
    if offset == 0:
        _LAST_WINDOW[secret] = window
    return format_hotp_value(hotp_value(secret, window))


_LAST_WINDOW: dict[str, int] = {}


@pytest.fixture
def firm_a(make_org):
    return make_org("Firm A GmbH", "member")


@pytest.fixture
def firm_b(make_org):
    return make_org("Firm B AG", "member")


@pytest.fixture
def member_a(make_user, firm_a):
    return make_user("member", org=firm_a, email="buyer@firm-a.example")


@pytest.fixture
def colleague_a(make_user, firm_a):
    return make_user("member", org=firm_a, email="colleague@firm-a.example")


@pytest.fixture
def member_admin_a(make_user, firm_a):
    return make_user("member_admin", org=firm_a, email="admin@firm-a.example")


@pytest.fixture
def member_b(make_user, firm_b):
    return make_user("member", org=firm_b, email="buyer@firm-b.example")


@pytest.fixture
def desk(make_user, make_org):
    return make_user(
        "trading_desk", org=make_org("Handelshaus", "tradinghouse"), email="desk@th.example"
    )


@pytest.fixture
def analyst(make_user, make_org):
    return make_user(
        "agency_analyst", org=make_org("Agentur", "agency"), email="analyst@agency.example"
    )


@pytest.fixture
def approver(make_user, make_org):
    return make_user(
        "agency_approver", org=make_org("Agentur", "agency"), email="approver@agency.example"
    )


@pytest.fixture
def ministry(make_user, make_org):
    return make_user(
        "ministry_viewer", org=make_org("Ministerium", "ministry"), email="viewer@ministry.example"
    )


@pytest.fixture
def staff(make_user):
    return make_user("", org=None, email="staff@platform.example", staff=True)


# ---- clients ---------------------------------------------------------------------------------


@pytest.fixture
def login(client):
    """login(user): a Django test client with a session for ``user`` (second factor done)."""

    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture
def api(db):
    """api(user): a DRF client that authenticates with a real API token of ``user``
    (api(None) is anonymous)."""
    from rest_framework.test import APIClient

    from rohstoff.core.services import api_token_create

    def make(user=None):
        client = APIClient()
        if user is not None:
            _token, key = api_token_create(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


# ---- a real Celery worker on Redis -----------------------------------------------------------


@pytest.fixture
def celery_worker_redis(transactional_db, settings):
    """A real Celery worker (threads in this process) consuming from Redis. Needs REDIS_URL."""
    from celery.contrib.testing.worker import start_worker

    from rohstoff.celery import app

    if not settings.REDIS_URL:
        pytest.fail("This test needs Redis: set REDIS_URL (the test command does).")
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.REDIS_URL
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_write() as conn:  # drop messages a crashed earlier run left behind
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE) if _queue_exists(
            conn, settings
        ) else None
    with start_worker(
        app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
        queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
    ) as worker:
        pool = worker.pool
        yield worker
    _close_pool_threads(pool)
    app.conf.task_always_eager = True


def _close_pool_threads(pool) -> None:
    """End the worker's task threads and their database connections. ``start_worker`` stops the
    worker cold (``terminate``), and the thread pool's cold stop leaves its executor running: its
    idle threads kept their Django connections (one per thread, opened by the tasks) open to the
    end of the run, and the test databases could not be dropped ("being accessed by other
    users"). One job per thread, held at a barrier so that every thread takes exactly one,
    closes that thread's connections; then the executor ends its threads."""
    import threading

    from django.db import connections

    executor = getattr(pool, "executor", None)
    if executor is None:
        return
    barrier = threading.Barrier(pool.limit)

    def close_connections():
        barrier.wait(timeout=10)
        connections.close_all()

    try:
        jobs = [executor.submit(close_connections) for _ in range(pool.limit)]
    except RuntimeError:  # a warm stop has shut the executor down already
        return
    for job in jobs:
        job.result(timeout=15)
    executor.shutdown(wait=True)


def _queue_exists(conn, settings) -> bool:
    try:
        conn.default_channel.queue_declare(settings.CELERY_TASK_DEFAULT_QUEUE, passive=True)
        return True
    except Exception:  # noqa: BLE001 - a missing queue is the normal case
        return False


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


# ---- browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's Playwright, whose database connections are closed before it stops.

    Playwright's synchronous API keeps its asyncio loop running in this thread from the first
    browser test to the end of the session. While a loop runs, Django keeps this thread's
    connections apart from the ones it used before (asgiref's ``Local`` behaves like a context
    variable then), so every test after the first browser test works through a second
    connection handler. Once Playwright stops, that handler is out of sight: pytest-django's
    teardown closes only the first one, and the second one's connection kept the test database
    open ("being accessed by other users"). Close it while it can still be seen.
    """
    yield playwright
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)."
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1366, "height": 900},
        "locale": "de-DE",
        "extra_http_headers": {"Accept-Language": "de"},
    }


@pytest.fixture
def browser_login(live_server, page):
    """browser_login(user): signs ``user`` in through the real login form (and TOTP step)."""

    def do(user, password=TEST_PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", password)
        # Each submit loads a new page: wait for it, or the caller's first check races with it.
        with page.expect_navigation():
            page.click("main form button[type=submit]")  # not the header's language switch
        if getattr(user, "totp_secret", None):
            page.fill("input[name=code]", totp_code(user.totp_secret))
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        assert "/accounts/login/" not in page.url and "/2fa/authenticate/" not in page.url, (
            f"{user.email} was not signed in: {page.url}"
        )
        return page

    return do


@pytest.fixture
def assert_accessible():
    """assert_accessible(page): axe-core finds no serious or critical WCAG 2.1 AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, context=""):
        results = axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
            },
        )
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        details = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in bad
        )
        assert not bad, f"axe violations on {context or page.url}:\n{details}"

    return check


# The schema test's call counts (tests/api/test_schema.py): here, not in tests/api/conftest.py,
# because with xdist only the controller prints the summary and it loads this file only.
def pytest_terminal_summary(terminalreporter):
    """Print how many calls the schema test made, by status (summed over xdist workers)."""
    counts, operations = {}, 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            properties = [
                p for p in getattr(report, "user_properties", []) if p[0].startswith("api-calls-")
            ]
            operations += bool(properties)
            for name, n in properties:
                counts[name.removeprefix("api-calls-")] = (
                    counts.get(name.removeprefix("api-calls-"), 0) + n
                )
    if operations:
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        terminalreporter.write_line(
            f"schemathesis: {operations} operation tests, {sum(counts.values())} calls ({summary})"
        )
