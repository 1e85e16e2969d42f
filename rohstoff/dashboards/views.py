"""The composition layer: pages that combine several apps."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from rohstoff.core import policy as core_policy
from rohstoff.core.access import LOGGED_IN, allow
from rohstoff.core.mfa import has_second_factor
from rohstoff.core.selectors import invitations_visible_to
from rohstoff.core.tasks import last_audit_check

from .roles import summary_for
from .widgets import render_widgets


@allow(LOGGED_IN)
@require_GET
def home(request):
    """Each role's workspace: what it may do, and what needs its attention now."""
    user = request.user
    pending_invitations = None
    if core_policy.manages_team(user):
        pending_invitations = invitations_visible_to(user).count()
    return render(
        request,
        "dashboards/home.html",
        {
            "summary": summary_for(user),
            "widgets": render_widgets(request),
            "has_second_factor": has_second_factor(user),
            "pending_invitations": pending_invitations,
            "audit_check": last_audit_check() if core_policy.reads_audit_log(user) else None,
        },
    )
