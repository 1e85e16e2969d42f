"""World production reference data (USGS Mineral Commodity Summaries) and the mapping of our
materials to its series (docs/supply-security.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rohstoff.core.models import Material


class ReferenceEdition(models.Model):
    """One edition of the reference data, e.g. MCS 2024, with what every page must credit."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=200)
    published_on = models.DateField(_("published on"))
    url = models.URLField(_("link"), max_length=300)
    citation = models.TextField(_("citation"))
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    checksum = models.CharField(_("checksum of file and mapping"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        ordering = ["-published_on", "code"]
        verbose_name = _("reference edition")
        verbose_name_plural = _("reference editions")

    def __str__(self):
        return self.title


class RowKind(models.TextChoices):
    COUNTRY = "country", _("country")
    WORLD = "world", _("world total")
    OTHER = "other", _("other countries")


class ValueStatus(models.TextChoices):
    NUMBER = "number", _("figure")
    WITHHELD = "withheld", _("withheld (W)")
    NOT_AVAILABLE = "na", _("not available")


class ProductionFigure(models.Model):
    """One production figure: commodity x production type x country x year, as USGS gives it."""

    edition = models.ForeignKey(ReferenceEdition, on_delete=models.CASCADE, related_name="figures")
    commodity = models.CharField(_("commodity"), max_length=120)
    production_type = models.CharField(_("production type"), max_length=200)
    country = models.CharField(_("country"), max_length=120)
    country_code = models.CharField(_("ISO country code"), max_length=2, blank=True)
    kind = models.CharField(_("row"), max_length=8, choices=RowKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True)
    unit = models.CharField(_("unit"), max_length=8)
    status = models.CharField(_("status"), max_length=8, choices=ValueStatus.choices)
    estimate = models.BooleanField(_("estimate"), default=False)
    raw_value = models.CharField(_("value as published"), max_length=80)

    class Meta:
        ordering = ["edition", "commodity", "production_type", "year", "country"]
        indexes = [models.Index(fields=["edition", "commodity", "production_type", "year"])]
        verbose_name = _("production figure")
        verbose_name_plural = _("production figures")

    def __str__(self):
        return f"{self.commodity} {self.country} {self.year}: {self.raw_value}"


class Stage(models.TextChoices):
    MINING = "mining", _("mining")
    REFINING = "refining", _("refining")


class MaterialSeries(models.Model):
    """Which USGS commodity and production type stands for one of our materials in an edition."""

    edition = models.ForeignKey(ReferenceEdition, on_delete=models.CASCADE, related_name="series")
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="+")
    commodity = models.CharField(_("commodity"), max_length=120)
    production_type = models.CharField(_("production type"), max_length=200)
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)

    class Meta:
        ordering = ["edition", "material"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "material"], name="one_series_per_material")
        ]
        verbose_name = _("material series")
        verbose_name_plural = _("material series")

    def __str__(self):
        return f"{self.material_id}: {self.commodity} / {self.production_type}"
