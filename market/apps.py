from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketConfig(AppConfig):
    name = "market"
    verbose_name = _("Market")

    def ready(self):
        from rohstoff.core import capabilities

        from . import policy

        capabilities.register("market", policy.capabilities)
