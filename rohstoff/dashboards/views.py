"""The composition layer: pages that combine several apps."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

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
    if user.is_staff or user.role == "member_admin":
        pending_invitations = invitations_visible_to(user).count()
    return render(
        request,
        "dashboards/home.html",
        {
            "summary": summary_for(user),
            "widgets": render_widgets(request),
            "has_second_factor": has_second_factor(user),
            "pending_invitations": pending_invitations,
            "audit_check": last_audit_check() if user.is_staff else None,
        },
    )
