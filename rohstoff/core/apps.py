from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "rohstoff.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self):
        from . import (
            capabilities,
            checks,  # noqa: F401  (registers the access-policy system check)
            policy,
        )

        capabilities.register("core", policy.capabilities)
