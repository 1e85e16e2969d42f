"""Pages of the shared kernel: materials, account, team, API tokens, audit log, accessibility."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from . import selectors, services
from .access import ACCOUNT_SETUP, LOGGED_IN, MEMBER_ADMINS, PUBLIC, STAFF, allow
from .audit import describe_problem
from .forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    FeedbackForm,
    InvitationForm,
    add_service_errors,
)
from .mfa import has_second_factor, unused_recovery_codes
from .models import CrmaStatus, MaterialFamily
from .ratelimit import allow_attempt
from .tasks import audit_check_start, last_audit_check, running_audit_check

# Reports of accessibility barriers from one address per hour (the form is public and sends mail).
FEEDBACK_PER_HOUR = 5


@allow(LOGGED_IN)
@require_GET
def material_list(request):
    search = request.GET.get("q", "").strip()
    family = request.GET.get("family", "")
    crma = request.GET.get("crma", "")
    materials = selectors.material_list(search=search, family=family, crma=crma)
    return render(
        request,
        "core/material_list.html",
        {
            "materials": materials,
            "search": search,
            "family": family,
            "crma": crma,
            "families": MaterialFamily.choices,
            "crma_choices": CrmaStatus.choices,
        },
    )


@allow(LOGGED_IN)
@require_GET
def material_detail(request, code):
    material = selectors.material_get(code=code)
    return render(request, "core/material_detail.html", {"material": material})


@allow(PUBLIC)
def set_language(request):
    """Switch the pages' language (Django's ``set_language``); for a signed-in user, also save it
    as the language their mail is written in. The one place a user's language changes."""
    response = django_set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_set_language(user=request.user, language=language)
    return response


@allow(ACCOUNT_SETUP)
@require_GET
def account_settings(request):
    return render(
        request,
        "core/account.html",
        {
            "has_totp": has_second_factor(request.user),
            # Each language in its own name, whatever the page's language.
            "languages": [
                (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
            ],
            "unused_recovery_codes": unused_recovery_codes(request.user),
            "active_tokens": selectors.tokens_visible_to(request.user)
            .filter(user=request.user, revoked_at__isnull=True)
            .count(),
        },
    )


@allow(MEMBER_ADMINS)
@require_http_methods(["GET", "POST"])
def team(request):
    form = InvitationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _link = services.invitation_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("team")
    colleagues = selectors.colleagues_visible_to(request.user).order_by(
        "-is_active", "organisation__name", "full_name", "email"
    )
    tokens = (
        selectors.tokens_visible_to(request.user)
        .filter(revoked_at__isnull=True)
        .exclude(user=request.user)
    )
    return render(
        request,
        "core/team.html",
        {
            "form": form,
            "colleagues": colleagues,
            "invitations": selectors.invitations_visible_to(request.user),
            "tokens": tokens,
            "invitation_valid_days": settings.INVITATION_VALID_DAYS,
        },
    )


@allow(MEMBER_ADMINS)
@require_POST
def colleague_remove(request, pk):
    colleague = selectors.colleague_get(user=request.user, pk=pk)
    try:
        services.user_deactivate(user=colleague, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s can no longer sign in; their API tokens are revoked.")
            % {"name": colleague},
        )
    return redirect("team")


@allow(MEMBER_ADMINS)
@require_POST
def invitation_revoke(request, pk):
    invitation = selectors.invitation_get(user=request.user, pk=pk)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return redirect("team")


@allow(PUBLIC)
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, key):
    invitation = services.invitation_by_key(key)
    if invitation is None:
        return render(request, "core/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                key=key,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):  # e.g. the address has an account by now
                for errors in exc.message_dict.values():
                    form.add_error(None, errors)
            else:  # the password validators
                form.add_error("password1", exc)
        else:
            messages.success(request, _("Welcome! Your account is ready; please sign in."))
            return redirect("account_login")
    return render(request, "core/invitation_accept.html", {"form": form, "invitation": invitation})


@allow(LOGGED_IN)
@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = selectors.tokens_visible_to(request.user).filter(user=request.user)
    return render(
        request, "core/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key}
    )


@allow(LOGGED_IN)
@require_POST
def api_token_revoke(request, pk):
    token = selectors.token_get(user=request.user, pk=pk)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    back = request.POST.get("next")
    return HttpResponseRedirect(reverse("team") if back == "team" else reverse("api_tokens"))


@allow(STAFF)
@require_GET
def audit_log(request):
    search = request.GET.get("q", "").strip()
    object_type = request.GET.get("type", "").strip()
    events = selectors.audit_events(search=search, object_type=object_type)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    last_check = last_audit_check()
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "search": search,
            "object_type": object_type,
            "object_types": selectors.audit_object_types(),
            "last_check": last_check,
            "last_check_problem": describe_problem(last_check.result) if last_check else "",
            "running_check": running_audit_check(),
        },
    )


@allow(STAFF)
@require_POST
def audit_check_now(request):
    audit_check_start(created_by=request.user)
    messages.info(
        request, _("The integrity check has started; its result appears here when it is done.")
    )
    return redirect("audit_log")


@allow(PUBLIC)
@require_http_methods(["GET", "POST"])
def accessibility(request):
    form = FeedbackForm(
        request.POST or None, initial={"page_url": request.META.get("HTTP_REFERER", "")}
    )
    if request.method == "POST" and not allow_attempt(
        request, scope="accessibility-feedback", limit=FEEDBACK_PER_HOUR, period=3600
    ):
        form.add_error(
            None,
            _(
                "You have sent several reports within a short time. Please try again later, "
                "or write to us by e-mail."
            ),
        )
    elif request.method == "POST" and form.is_valid():
        services.feedback_submit(
            message=form.cleaned_data["message"],
            contact=form.cleaned_data["contact"],
            page_url=form.cleaned_data["page_url"],
            user=request.user,
        )
        messages.success(
            request, _("Thank you. We have received your report and will answer within two weeks.")
        )
        return redirect("accessibility")
    return render(
        request,
        "core/accessibility.html",
        {"form": form, "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )


@allow(PUBLIC)
@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: 503 when the database does not answer. Redis is reported but does
    not fail the check: pages keep working while it is down and queued work waits in the outbox
    (docs/operations.md), so a container must not be restarted for it."""
    checks, ok, degraded = {}, True, False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"], ok = f"error: {type(exc).__name__}", False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"], degraded = f"error: {type(exc).__name__}", True
    status = "error" if not ok else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ok else 503)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No request context: whatever broke (the database, say) must not break the error page too.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
