"""Links to many objects of one kind on one page.

``reverse()`` costs about 20 microseconds a call: a table of a hundred rows with two links each
spent a sixth of its page's time reversing URLs (docs/benchmarks.md). :func:`row_link` reverses
once per page and builds each row's link from it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse


def row_link(viewname: str, *args) -> Callable[[int], str]:
    """A function ``pk -> reverse(viewname, args=[*args, pk])`` that reverses once. The object's
    id must be the URL's last argument and an integer path segment of its own (``<int:…>/``)."""
    url = reverse(viewname, args=[*args, 0])
    prefix, found, suffix = url.rpartition("/0/")
    if not found:
        raise ValueError(f"{viewname}: the last argument is not a path segment of its own")
    return lambda pk: f"{prefix}/{int(pk)}/{suffix}"
