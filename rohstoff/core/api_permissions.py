from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from .access import Policy
from .models import ApiToken


class DeclaredPolicyPermission(BasePermission):
    """DRF side of the policy: the view's ``access_policies[action]`` or ``access_policy``.

    Anonymous callers get 401 (DRF turns a refusal without credentials into 401), a role that may
    not use the endpoint 403. A user whose role requires a second factor, signed in by session
    without one, is refused too; token calls are not subject to the set-up redirect.
    """

    message = _("Your role may not use this endpoint.")

    def has_permission(self, request, view) -> bool:
        policy = self.policy_for(view)
        if policy is None:
            return False
        if not policy.allows(request.user):
            if request.user.is_authenticated and policy.conceals_from(request.user):
                raise NotFound
            return False
        if (
            request.user.is_authenticated
            and request.user.needs_mfa
            and not policy.mfa_exempt
            and not isinstance(request.auth, ApiToken)
        ):
            from .mfa import has_second_factor

            if not has_second_factor(request.user):
                self.message = _("Set up two-factor authentication before you use this endpoint.")
                return False
        return True

    @staticmethod
    def policy_for(view) -> Policy | None:
        policies = getattr(view, "access_policies", None)
        if policies:
            action = getattr(view, "action", None) or (
                view.request.method.lower() if view.request else ""
            )
            return policies.get(action) or policies.get("*")
        return getattr(view, "access_policy", None)
