import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .access import is_api_view, policy_of
from .mfa import mfa_setup_pending

log = logging.getLogger(__name__)


class AccessPolicyMiddleware:
    """Lets a request reach a page only when the page's declared policy allows the user.

    Anonymous visitors are sent to the login page; a signed-in user whose role may not use the
    page gets 403; a view that declares nothing is refused (fail closed). API views are left to
    DRF's ``DeclaredPolicyPermission``, which runs after token authentication. Users whose role
    requires a second factor are sent to its set-up until they have one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api_view(view_func):
            return None
        policy = policy_of(view_func)
        if policy is None or isinstance(policy, dict):
            log.error("View %r declares no access policy; refused.", view_func)
            raise PermissionDenied
        user = request.user
        if not policy.allows(user):
            if not user.is_authenticated:
                if request.htmx:
                    return HttpResponseClientRedirect(reverse("account_login"))
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied
        if not policy.mfa_exempt and mfa_setup_pending(request):
            return redirect("mfa_activate_totp")
        return None
