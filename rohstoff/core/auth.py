import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend


class EmailBackend(AuthenticationBackend):
    """allauth's e-mail login; loads the user's organisation with the user (one query)."""

    def get_user(self, user_id):
        from .models import User

        try:
            user = User.objects.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # No open sign-up: people join by invitation from a staff admin or their firm's admin.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and _first_factor_set_up_after_fresh_sign_in():
            # Setting up a first authenticator minutes after signing in with the password (and
            # seeing its recovery codes) needs no second password prompt: the same window that
            # allauth gives a reauthentication.
            return False
        return required


def _first_factor_set_up_after_fresh_sign_in() -> bool:
    from allauth.account import app_settings
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.core import context
    from allauth.mfa.models import Authenticator

    request = context.request
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    signed_in_at = max((record.get("at", 0) for record in records), default=0)
    if time.time() - signed_in_at >= app_settings.REAUTHENTICATION_TIMEOUT:
        return False
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    # No factor yet, or the one set up in this very session.
    return totp is None or totp.created_at.timestamp() >= signed_in_at
