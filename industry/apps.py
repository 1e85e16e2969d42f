from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndustryConfig(AppConfig):
    name = "industry"
    verbose_name = _("Member demand")

    def ready(self):
        from rohstoff.core import capabilities

        from . import policy

        capabilities.register("industry", policy.capabilities)


# The navigation's tile text for the rounds page (kept here so that it is translated with the app).
ROUNDS_DESCRIPTION = _("Demand rounds: enter your firm's demand, or open, screen and close rounds.")
