"""Serves plotly.js from the plotly Python package, so no copy of it lives in our repository
and nothing is loaded from a CDN. Only that one file is exposed (the package folder holds tens of
megabytes of other data)."""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC_PATH = "vendor/plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PLOTLY_JS.parent))

    def check(self, **kwargs):
        from django.core.checks import Error

        if not PLOTLY_JS.is_file():
            return [Error(f"plotly.min.js not found at {PLOTLY_JS}", id="rohstoff.E002")]
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == STATIC_PATH:
            return [str(PLOTLY_JS)] if find_all else str(PLOTLY_JS)
        return []

    def list(self, ignore_patterns):
        # The storage's prefix puts the file at STATIC_PATH in collected static files.
        self.storage.prefix = "vendor"
        yield PLOTLY_JS.name, self.storage
