"""Every table that may scroll sideways (a phone, a long German word) sits in a wrapper a keyboard
can focus and scroll, named for a screen reader: ``tabindex="0" role="region" aria-label=…``.
Without it a table with no link inside cannot be scrolled from the keyboard (axe:
scrollable-region-focusable), and only pages that happen to overflow in a browser test would show
it."""

import re
from pathlib import Path

from django.conf import settings

WRAP = re.compile(r'<div class="table-wrap"[^>]*>')


def template_files():
    root = Path(settings.BASE_DIR)
    for path in root.rglob("*.html"):
        parts = set(path.relative_to(root).parts)
        if parts & {".venv", "node_modules", "staticfiles", "tests"} or "templates" not in parts:
            continue
        yield root, path


def test_every_table_wrapper_is_a_named_focusable_region():
    problems, seen = [], 0
    for root, path in template_files():
        for tag in WRAP.findall(path.read_text(encoding="utf-8")):
            seen += 1
            if not ('tabindex="0"' in tag and 'role="region"' in tag and "aria-label" in tag):
                problems.append(f"{path.relative_to(root)}: {tag[:80]}")
    assert seen > 50
    assert not problems, "\n".join(problems)
