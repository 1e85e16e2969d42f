from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Offtake contracts")

    def ready(self):
        from rohstoff.core import capabilities
        from tradinghouse import supply

        from . import policy
        from .supply import supply_for_round

        supply.register(supply_for_round)
        capabilities.register("contracts", policy.capabilities)
