"""Serves plotly.js, and plotly's own stylesheet, from the plotly Python package, so that no copy
of either lives in our repository and nothing is loaded from a CDN.

plotly.js normally injects its CSS rules with a ``<style>`` element, which our Content-Security-
Policy refuses. ``vendor/plotly.css`` is generated from the rules table inside the installed
``plotly.min.js`` (the same table plotly.js would inject), so it always matches the served script.
Pages link it as ``<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles">``,
which tells plotly.js that its rules are present already.

plotly.js also carries the stylesheet of its map library (maplibre) and injects it as soon as the
script loads, unless an element with that stylesheet's id is in the page. We draw no maps, so
chart pages carry an empty marker element with that id (``maplibre_style_id()``, read from the
installed script) instead of the rules. See docs/charts.md.
"""

import functools
import re
import tempfile
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
JS_PATH = "vendor/plotly.min.js"
CSS_PATH = "vendor/plotly.css"
_RULES_START = re.compile(r'\{"X,X div":')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'')
_KEY = re.compile(_STRING.pattern + r"|([A-Za-z_$][\w$]*)")  # minifiers drop quotes of plain keys
_MAPLIBRE_STYLE = re.compile(
    r'if\(!document\.getElementById\("([0-9a-f]{32,64})"\)\)\{var (\w+)=document\.createElement\("style"\)'
)


def _js_string(match: re.Match) -> str:
    raw = next(group for group in match.groups() if group is not None)
    return re.sub(r"\\(.)", r"\1", raw)


def plotly_rules(source: str) -> list[tuple[str, str]]:
    """The ``{"X,X div": "direction:ltr;…", …}`` table of plotly.js's CSS, as (selector, body)."""
    start = _RULES_START.search(source)
    if start is None:
        raise ValueError("plotly.min.js has no CSS rules table where it used to be")
    pos, rules = start.start() + 1, []
    while source[pos] != "}":
        key = _KEY.match(source, pos)
        if key is None or source[key.end()] != ":":
            raise ValueError("unexpected syntax in plotly.min.js's CSS rules table")
        value = _STRING.match(source, key.end() + 1)
        if value is None:
            raise ValueError("unexpected syntax in plotly.min.js's CSS rules table")
        rules.append((_js_string(key), _js_string(value)))
        pos = value.end()
        if source[pos] == ",":
            pos += 1
    return rules


def maplibre_style_id_in(source: str) -> str:
    """The id under which plotly.js injects its map library's stylesheet."""
    found = _MAPLIBRE_STYLE.search(source)
    if found is None:
        raise ValueError("plotly.min.js no longer injects the map stylesheet where it used to")
    return found.group(1)


@functools.cache
def maplibre_style_id() -> str:
    return maplibre_style_id_in(PLOTLY_JS.read_text(encoding="utf-8"))


def plotly_css() -> str:
    lines = ["/* plotly.js's own rules, generated from the installed plotly.min.js. */"]
    for selector, body in plotly_rules(PLOTLY_JS.read_text(encoding="utf-8")):
        # As plotly.js itself expands them (src/css/plotcss.js).
        full = (
            re.sub(r"^,", " ,", selector)
            .replace("X", ".js-plotly-plot .plotly")
            .replace("Y", ".plotly-notifier")
        )
        lines.append(f"{full} {{ {body} }}")
    return "\n".join(lines) + "\n"


@functools.cache
def _generated_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="rohstoff-plotly-"))
    (folder / "plotly.css").write_text(plotly_css(), encoding="utf-8")
    return folder


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        if not PLOTLY_JS.is_file():
            return [Error(f"plotly.min.js not found at {PLOTLY_JS}", id="rohstoff.E002")]
        try:
            source = PLOTLY_JS.read_text(encoding="utf-8")
            plotly_rules(source)
            maplibre_style_id_in(source)
        except ValueError as exc:
            return [Error(f"Cannot read plotly's CSS rules: {exc}", id="rohstoff.E003")]
        return []

    def _files(self) -> dict[str, Path]:
        return {JS_PATH: PLOTLY_JS, CSS_PATH: _generated_dir() / "plotly.css"}

    def find(self, path, find_all=False, **kwargs):
        found = self._files().get(path)
        if found is None:
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for file in self._files().values():
            storage = FileSystemStorage(location=str(file.parent))
            storage.prefix = "vendor"
            yield file.name, storage


_INJECTED_STYLE = re.compile(
    r'document\.getElementById\("([0-9a-f]{16,64})"\)\)\{var [\w$]+=document\.createElement\("style"\)'
)


@functools.cache
def plotly_injected_style_ids() -> tuple[str, ...]:
    """Ids of the ``<style>`` elements the plotly.js bundle injects at load time unless an element
    with that id exists already (the bundled maplibre stylesheet of map traces, which our charts do
    not use). Pages put an empty element with each id in their head, so that nothing is injected
    and the Content-Security-Policy has nothing to refuse."""
    return tuple(dict.fromkeys(_INJECTED_STYLE.findall(PLOTLY_JS.read_text(encoding="utf-8"))))
