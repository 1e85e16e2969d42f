"""The composition layer: pages that combine several apps."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from rohstoff.core import policy as core_policy
from rohstoff.core.access import LOGGED_IN, allow
from rohstoff.core.mfa import has_second_factor
from rohstoff.core.selectors import invitations_visible_to
from rohstoff.core.tasks import last_audit_check
from rohstoff.navigation import navigation

from .roles import summary_for
from .widgets import needs_charts, render_widgets, widget_styles


def _tiles(request, summary) -> list[dict]:
    """The sidebar's links as tiles, each described in the words of the user's role."""
    texts = {reverse(name): text for name, text in summary.tiles.items()}
    return [
        {
            "label": item["label"],
            "url": item["url"],
            "text": texts.get(item["url"]) or item["description"] or section["title"],
        }
        for section in navigation(request)["nav_sections"]
        for item in section["items"]
        if not item["current"]
    ]


@allow(LOGGED_IN)
@require_GET
def home(request):
    """Each role's workspace: what it may do, and what needs its attention now."""
    user = request.user
    pending_invitations = None
    if core_policy.manages_team(user):
        pending_invitations = invitations_visible_to(user).count()
    summary = summary_for(user)
    return render(
        request,
        "dashboards/home.html",
        {
            "summary": summary,
            "tiles": _tiles(request, summary),
            "widgets": render_widgets(request),
            "charts": needs_charts(request),
            "widget_styles": widget_styles(request),
            "has_second_factor": has_second_factor(user),
            "pending_invitations": pending_invitations,
            "audit_check": last_audit_check() if core_policy.reads_audit_log(user) else None,
        },
    )
