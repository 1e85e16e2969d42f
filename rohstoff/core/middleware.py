import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from .access import is_api_view, policy_of
from .api_parsers import nul_message
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
            if policy.conceals_from(user):
                raise Http404
            raise PermissionDenied
        if not policy.mfa_exempt and mfa_setup_pending(request):
            return redirect("mfa_activate_totp")
        return None


API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user and on every
    API response: pages, exports and API answers carry confidential figures that no browser
    cache or proxy may keep (docs/security.md). A view that already said ``no-store`` keeps its
    header; static files are served by WhiteNoise before this runs and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        confidential = _is_api(request) or (user is not None and user.is_authenticated)
        if confidential and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _field_with_nul(items) -> str | None:
    for key, values in items:
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "")
    return None


class RefuseNulMiddleware:
    """Answers 400 when the path, a query parameter or a form field contains a NUL character.

    PostgreSQL cannot store or compare text with NUL, so such input would otherwise end in a 500
    wherever it reaches a query. The path and query string are checked for every request; form
    fields of pages after the access policy has let the request through (the CSRF check has
    parsed them by then already). API bodies are checked by the API's parsers
    (``rohstoff.core.api_parsers``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return self.refuse(request, "path")
        field = _field_with_nul(request.GET.lists())
        if field is not None:
            return self.refuse(request, field)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api_view(view_func) or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return None
        try:
            fields = list(request.POST.lists())
            files = [
                (key, [f.name or "" for f in request.FILES.getlist(key)]) for key in request.FILES
            ]
        except Exception:  # noqa: BLE001 - a malformed body is the view's to answer, as before
            return None
        field = _field_with_nul(fields + files)
        return None if field is None else self.refuse(request, field)

    @staticmethod
    def refuse(request, field: str):
        if _is_api(request):
            return JsonResponse({field or "detail": [nul_message()]}, status=400)
        return render(
            request,
            "core/bad_request.html",
            {"message": nul_message(), "field": field},
            status=400,
        )
