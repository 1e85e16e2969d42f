from allauth.urls import urlpatterns as allauth_urlpatterns
from django.contrib import admin
from django.urls import include, path

from rohstoff.core import legal
from rohstoff.core import views as core
from rohstoff.core.access import ACCOUNT_SETUP, PUBLIC, STAFF, declare
from rohstoff.dashboards import views as dashboards

# allauth's pages: signing in, password reset and the second-factor step of a login are open to
# anonymous visitors; everything else (password change, MFA set-up) needs a signed-in user.
ALLAUTH_PUBLIC = {
    name: PUBLIC
    for name in (
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_inactive",
        "account_logout",
        "mfa_authenticate",
        "mfa_trust",
        "account_confirm_email",
        "account_email_verification_sent",
        "account_confirm_password_reset_code",
    )
}

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("accounts/", include(declare(allauth_urlpatterns, ACCOUNT_SETUP, ALLAUTH_PUBLIC))),
    path("account/", core.account_settings, name="account_settings"),
    path("account/tokens/", core.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", core.api_token_revoke, name="api_token_revoke"),
    path("team/", core.team, name="team"),
    path("team/<int:pk>/remove/", core.colleague_remove, name="colleague_remove"),
    path("team/invitations/<int:pk>/revoke/", core.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:key>/", core.invitation_accept, name="invitation_accept"),
    path("materials/", core.material_list, name="material_list"),
    path("materials/<slug:code>/", core.material_detail, name="material_detail"),
    path("audit/", core.audit_log, name="audit_log"),
    path("audit/check/", core.audit_check_now, name="audit_check_now"),
    path("accessibility/", core.accessibility, name="accessibility"),
    path("impressum/", legal.imprint, name="imprint"),
    path("datenschutz/", legal.privacy, name="privacy"),
    path("leichte-sprache/", legal.easy_read, name="easy_read"),
    path("i18n/setlang/", core.set_language, name="set_language"),
    path("healthz", core.healthz, name="healthz"),
    path(
        "admin/",
        (
            declare(admin.site.get_urls(), STAFF, {"login": PUBLIC, "logout": PUBLIC}),
            "admin",
            admin.site.name,
        ),
    ),
    path("rounds/", include("industry.urls")),
    path("reported-contracts/", include("industry.reported.urls")),
    path("positions/", include("tradinghouse.urls")),
    path("contracts/", include("contracts.urls")),
    path("agency/", include("agency.urls")),
    path("supply/", include("rohstoff.supply.urls")),
    path("scenarios/", include("agency.scenarios.urls")),
    path("market/", include("market.urls")),
    path("", include("rohstoff.api")),
]

handler403 = "rohstoff.core.views.error_403"
handler404 = "rohstoff.core.views.error_404"
handler500 = "rohstoff.core.views.error_500"
