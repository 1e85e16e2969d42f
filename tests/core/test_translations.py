"""Every text we mark for translation has its German: a missing entry shows the English words
on a German page (the "disclosed" badge of every position did). Scans our Python and templates
for single literals (``_("…")``, ``gettext("…")``, ``{% translate "…" %}``); a text written over
several lines is checked where its page or message is tested."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

SOURCES = ["rohstoff", "agency", "tradinghouse", "industry", "contracts", "market", "templates"]
PYTHON = re.compile(
    r"""(?<![\w.])(?:_|gettext|gettext_lazy|gettext_noop)\(\s*"((?:[^"\\]|\\.)*)"\s*\)"""
)
TEMPLATE = re.compile(r"""\{%\s*translate\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# The same word in both languages (a German reader reads these as they are).
SAME = {
    "Aggregation", "Aluminium", "Band", "Code", "Dashboard", "Dashboards", "Details", "Element",
    "Gallium", "Germanium", "Hash", "Incoterm 2020", "Index", "Instrument", "Lithium",
    "Magnesium", "Material", "Median", "Monitoring", "Name", "Nickel", "Organisation", "Person",
    "Pool (t)", "Portfolio", "Problem", "Status", "Take-or-pay", "Team", "Token",
    "LCE (t)", "in EUR", "t", "kg", "lb",
    "Lagebild Rohstoffversorgung",  # the briefing's German title, in both languages
}  # fmt: skip


def marked_texts() -> dict[str, str]:
    """Each text marked for translation, with one file that marks it."""
    found = {}
    for root in SOURCES:
        for path in sorted((Path(settings.BASE_DIR) / root).rglob("*")):
            if "migrations" in path.parts or path.suffix not in (".py", ".html", ".txt"):
                continue
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".py":
                texts = (m.group(1) for m in PYTHON.finditer(text))
            else:
                # A template's "%" is looked up as "%%", as makemessages writes it.
                texts = (
                    (m.group(1) or m.group(2)).replace("%", "%%") for m in TEMPLATE.finditer(text)
                )
            for msgid in texts:
                if "\\" in msgid:
                    msgid = msgid.encode().decode("unicode_escape")
                found.setdefault(msgid, str(path.relative_to(settings.BASE_DIR)))
    return found


def test_every_text_marked_for_translation_has_its_german():
    texts = marked_texts()
    assert len(texts) > 1000  # the scan reads our code
    with translation.override("de"):
        missing = [
            f"{where}: {msgid}"
            for msgid, where in sorted(texts.items())
            if gettext(msgid) == msgid and msgid not in SAME and re.search("[a-z]", msgid)
        ]
    assert missing == []
