"""Crawl the demo as each of its users (run as a script against a seeded database): every page a
user reaches by following links from the home page, GET only, up to a limit per user. Prints
one line per page that answered 500 or raised, and exits 1 if there was any.

Used by tests/core/test_sqlite_demo.py against the first-run demo's SQLite database."""

from __future__ import annotations

import re
import sys
from collections import deque
from urllib.parse import urldefrag, urlparse

LINK = re.compile(rb'href="(/[^"#]*)"')
SKIP = ("/accounts/logout", "/i18n/", "/static/", "/media/", "/admin/", "/api/")


def crawl(client, limit: int) -> tuple[int, list[str]]:
    seen, failures, queue = set(), [], deque(["/"])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP):
            continue
        seen.add(url)
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the crawl
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code >= 500 or (url == "/" and response.status_code != 200):
            failures.append(f"{url}: {response.status_code}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if hasattr(response, "streaming_content"):
            continue
        for link in LINK.findall(response.content):
            target = urldefrag(link.decode().replace("&amp;", "&"))[0]
            if not urlparse(target).netloc and target not in seen:
                queue.append(target)
    return len(seen), failures


def main() -> int:
    import django

    django.setup()
    from django.test import Client

    from rohstoff.core.models import User

    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    failed = False
    for user in User.objects.filter(is_active=True).order_by("email"):
        client = Client(
            raise_request_exception=True, HTTP_ACCEPT_LANGUAGE="de", HTTP_HOST="localhost"
        )
        client.force_login(user)
        pages, failures = crawl(client, limit)
        print(f"{user.email}: {pages} pages, {len(failures)} failed")
        for failure in failures:
            print("  " + failure[:400])
        failed = failed or bool(failures)
    # The jobs the pages started (large exports, run in-process) must have done their work.
    from rohstoff.core.models import Job, JobState

    jobs = Job.objects.all()
    from industry.demandexport.services import KIND_PREFIX

    done = jobs.filter(state=JobState.SUCCEEDED)
    exports = done.filter(kind__startswith=KIND_PREFIX)
    print(
        f"jobs: {jobs.count()}, succeeded {done.count()} (exports: csv "
        f"{exports.filter(kind__contains=':csv:').count()}, xlsx "
        f"{exports.filter(kind__contains=':xlsx:').count()}), "
        f"failed {jobs.filter(state=JobState.FAILED).count()}"
    )
    for job in jobs.filter(state=JobState.FAILED):
        print(f"  job {job.kind} failed: {job.error[:300]}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
