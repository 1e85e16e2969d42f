from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = _("Raw-material agency")

    def ready(self):
        from rohstoff.core import capabilities

        from . import policy
        from .stockpile import policy as stockpile_policy

        capabilities.register("agency", policy.capabilities)
        capabilities.register("stockpile", stockpile_policy.capabilities)
