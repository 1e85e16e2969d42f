"""The composition layer: pages that combine several apps."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from rohstoff.core.access import LOGGED_IN, allow


@allow(LOGGED_IN)
@require_GET
def home(request):
    """Each role's workspace: what it may do, and what needs its attention now."""
    return render(request, "dashboards/home.html", {})
