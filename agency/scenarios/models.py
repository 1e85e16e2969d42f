"""Saved export-stop scenarios: which countries stop exporting from which quarter, against which
round's positions. Only the inputs are kept; the results are computed for each reader under that
reader's rules whenever the scenario is opened (docs/scenarios.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from industry.models import DemandRound
from rohstoff.core.models import Organisation
from rohstoff.core.periods import Quarter

MAX_COUNTRIES = 20


class SavedScenario(models.Model):
    name = models.CharField(_("name"), max_length=120)
    countries = CountryField(_("countries"), multiple=True, max_length=3 * MAX_COUNTRIES)
    first_quarter = models.PositiveIntegerField(_("first quarter"))
    round = models.ForeignKey(
        DemandRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="saved_scenarios",
    )
    # Saved scenarios are shared within the author's organisation (docs/scenarios.md).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="saved_scenarios"
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("saved scenario")
        verbose_name_plural = _("saved scenarios")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="one_scenario_name_per_organisation"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def first_period(self) -> Quarter:
        return Quarter.from_index(self.first_quarter)

    @property
    def country_codes(self) -> list[str]:
        return [c.code for c in self.countries]
