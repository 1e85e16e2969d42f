"""Second factor: who has one, and the roles that may not switch theirs off."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Approvers and the desk must keep their authenticator app (settings.MFA_REQUIRED_ROLES);
        # allauth then explains on the deactivation page that it cannot be switched off.
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.needs_mfa:
            return False
        return super().can_delete_authenticator(authenticator)
