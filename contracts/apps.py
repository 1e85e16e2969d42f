from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Offtake contracts")

    def ready(self):
        from agency import offtake_rights
        from rohstoff.core import capabilities, money
        from tradinghouse import supply

        from . import policy
        from .offtakes.stakes import contract_draft_for_stake
        from .prices.selectors import fx_rate_on
        from .supply import supply_for_round

        supply.register(supply_for_round)
        money.register_fx_source(fx_rate_on)
        offtake_rights.register_drafter(contract_draft_for_stake)
        capabilities.register("contracts", policy.capabilities)
