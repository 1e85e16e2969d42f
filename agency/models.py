"""The agency's side. For now: projects (mines, refineries, recycling plants) that offtake
contracts can be linked to. Stakes, four-eyes approval and the stockpile come with their issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from rohstoff.core.models import Material


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
    materials = models.ManyToManyField(
        Material, verbose_name=_("materials"), related_name="projects"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=ProjectStage.choices)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name
