"""Agency projects: mines, refineries and recycling plants with their operator, location, capex,
per-material capacity and the ESG/HSE screen an analyst fills in (docs/agency-projects.md)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from rohstoff.core.models import Material
from rohstoff.core.money import Currency

MONEY = {"max_digits": 20, "decimal_places": 4}
T = {"max_digits": 22, "decimal_places": 6}
# Years a production start or an offtake right may name: bounded input, not a forecast.
FIRST_YEAR, LAST_YEAR = 1950, 2100


class ProjectStage(models.TextChoices):
    EXPLORATION = "exploration", _("exploration")
    FEASIBILITY = "feasibility", _("feasibility study")
    CONSTRUCTION = "construction", _("construction")
    PRODUCTION = "production", _("production")
    RECYCLING = "recycling", _("recycling plant")


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    operator = models.CharField(_("operator"), max_length=200)
    country = CountryField(_("country"))
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    materials = models.ManyToManyField(
        Material,
        verbose_name=_("materials"),
        related_name="projects",
        through="ProjectMaterial",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=ProjectStage.choices)
    capex = models.DecimalField(_("capex"), **MONEY, null=True, blank=True)
    capex_currency = models.CharField(
        _("capex currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    crma_strategic = models.BooleanField(
        _("CRMA strategic project"),
        default=False,
        help_text=_("Selected as a strategic project under the EU Critical Raw Materials Act."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="project_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="project_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="project_coordinates_both_or_none",
            ),
            models.CheckConstraint(
                condition=Q(capex__isnull=True) | Q(capex__gt=0), name="project_capex_positive"
            ),
        ]

    def __str__(self):
        return self.name


class ProjectMaterial(models.Model):
    """What a project produces of one material: annual capacity in tonnes of the material's own
    form, and the year production starts (or started)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="material_capacities"
    )
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    capacity_t_per_year = models.DecimalField(
        _("annual capacity (t/yr)"), **T, null=True, blank=True
    )
    production_start_year = models.PositiveSmallIntegerField(
        _("start of production"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )

    class Meta:
        ordering = ["project", "material__sort_order", "material__code"]
        verbose_name = _("project material")
        verbose_name_plural = _("project materials")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "material"], name="one_capacity_per_project_material"
            ),
            models.CheckConstraint(
                condition=Q(capacity_t_per_year__isnull=True) | Q(capacity_t_per_year__gt=0),
                name="project_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(production_start_year__isnull=True)
                | Q(production_start_year__gte=FIRST_YEAR, production_start_year__lte=LAST_YEAR),
                name="project_production_start_range",
            ),
        ]

    def __str__(self):
        return f"{self.project} {self.material}"


class EsgItem(models.TextChoices):
    ENVIRONMENTAL_PERMIT = "environmental_permit", _("environmental permit")
    TAILINGS_STANDARD = "tailings_standard", _("tailings standard")
    COMMUNITY_CONSULTATION = "community_consultation", _("community consultation")
    CONFLICT_AREA = "conflict_area", _("conflict-affected or high-risk area")
    LABOUR = "labour", _("labour")
    CERTIFICATION = "certification", _("independent certification (e.g. IRMA)")


class EsgStatus(models.TextChoices):
    PASS = "pass", _("pass")
    CONCERN = "concern", _("concern")
    FAIL = "fail", _("fail")
    NOT_ASSESSED = "not_assessed", _("not assessed")


class EsgCheck(models.Model):
    """One row of a project's ESG/HSE screen."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="esg_checks")
    item = models.CharField(_("item"), max_length=30, choices=EsgItem.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=EsgStatus.choices, default=EsgStatus.NOT_ASSESSED
    )
    note = models.TextField(_("note"), blank=True, max_length=4000)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "item"]
        verbose_name = _("ESG check")
        verbose_name_plural = _("ESG checks")
        constraints = [
            models.UniqueConstraint(fields=["project", "item"], name="one_esg_check_per_item")
        ]

    def __str__(self):
        return f"{self.project} {self.item}: {self.status}"
