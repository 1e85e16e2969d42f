from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = _("Raw-material agency")

    def ready(self):
        from rohstoff.core import capabilities

        from . import policy

        capabilities.register("agency", policy.capabilities)
