"""Fetch-and-authorise: one helper for "missing" and "not yours" (docs/architecture.md, Access).

Every selector that hands out a single object calls :func:`get_visible_or_404` on a queryset that
is already scoped to the acting user, so an object the user may not see answers exactly like one
that does not exist.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_visible_or_404(queryset: QuerySet[M], **lookup) -> M:
    """The one object of ``queryset`` matching ``lookup``, or Http404.

    A malformed key (``"abc"`` for an integer id, a NUL byte) is a missing object too, never a 500.
    """
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError, OverflowError):
        raise Http404 from None
