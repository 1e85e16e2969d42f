from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "rohstoff.supply"
    label = "supply"
    verbose_name = _("Supply security")

    def ready(self):
        from rohstoff.core import capabilities

        from . import policy

        capabilities.register("supply", policy.capabilities)
