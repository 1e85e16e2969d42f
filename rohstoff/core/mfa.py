"""Second factor: who has one, and the roles that may not switch theirs off."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_setup_pending(request) -> bool:
    """True while the user's role requires a second factor that is not set up yet (memoised
    on the request: the access middleware and the navigation both ask)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.needs_mfa:
        return False
    if not hasattr(request, "_mfa_setup_pending"):
        request._mfa_setup_pending = not has_second_factor(user)
    return request._mfa_setup_pending


def unused_recovery_codes(user) -> int:
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return len(authenticator.wrap().get_unused_codes()) if authenticator else 0


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Staff, approvers and the desk must keep their authenticator app (User.needs_mfa);
        # allauth then explains on the deactivation page that it cannot be switched off.
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.needs_mfa:
            return False
        return super().can_delete_authenticator(authenticator)
