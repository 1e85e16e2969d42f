"""The agency's strategic stockpile: where material is stored (locations), how much of each
material lies there (holdings), what changes it (movements: purchase, release, rotation), and the
target in days of cover per material. A release needs two approvers (docs/four-eyes.md); the
rules of cover, targets and bands: docs/stockpile.md."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from rohstoff.core.formatting import format_tonnes
from rohstoff.core.models import Material

from ..four_eyes.models import FourEyesSubject

T = {"max_digits": 22, "decimal_places": 6}
# Targets in days of cover (docs/stockpile.md, "Targets").
DEFAULT_TARGET_DAYS = 60
HIGH_RISK_TARGET_DAYS = 180
MAX_TARGET_DAYS = 3650


class Location(models.Model):
    """A warehouse or bonded store that holds stockpile material."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = CountryField(_("country"), default="DE")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("stockpile location")
        verbose_name_plural = _("stockpile locations")

    def __str__(self):
        return self.name


class MaterialTarget(models.Model):
    """The agency's assessment of one material: high-risk or not, and an optional target of its
    own; without one the target is 60 days, 180 for a high-risk material."""

    material = models.OneToOneField(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    high_risk = models.BooleanField(_("high-risk"), default=False)
    target_days = models.PositiveSmallIntegerField(
        _("own target (days of cover)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material__sort_order", "material__code"]
        verbose_name = _("stockpile target")
        verbose_name_plural = _("stockpile targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_days__isnull=True)
                | Q(target_days__gte=1, target_days__lte=MAX_TARGET_DAYS),
                name="stockpile_target_days_range",
            )
        ]

    def __str__(self):
        return f"{self.material_id}: {self.effective_days} d"

    @property
    def effective_days(self) -> int:
        return effective_target(self.high_risk, self.target_days)


def effective_target(high_risk: bool, own: int | None) -> int:
    if own:
        return own
    return HIGH_RISK_TARGET_DAYS if high_risk else DEFAULT_TARGET_DAYS


class Holding(models.Model):
    """Tonnes of one material at one location (of the material's own form). Only the movement
    services change it."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="holdings")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    quantity_t = models.DecimalField(_("holding (t)"), **T, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material__sort_order", "material__code", "location__name"]
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "material"], name="one_holding_per_location_material"
            ),
            models.CheckConstraint(condition=Q(quantity_t__gte=0), name="holding_not_negative"),
        ]

    def __str__(self):
        return f"{self.location} {self.material_id}: {format_tonnes(self.quantity_t)}"


class MovementKind(models.TextChoices):
    PURCHASE = "purchase", _("purchase")
    RELEASE = "release", _("release")
    ROTATION = "rotation", _("rotation")


class MovementState(models.TextChoices):
    # A release waits for its two approvals; purchases and rotations are booked at once.
    IN_REVIEW = "in_review", _("in review")
    BOOKED = "booked", _("booked")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Movement(FourEyesSubject):
    """A change of one holding. ``quantity_t`` is what enters (purchase) or leaves (release,
    rotation); a rotation also names what replaces the rotated stock (``replacement_t``, never
    less than what leaves: otherwise it is a release)."""

    kind = models.CharField(_("kind"), max_length=10, choices=MovementKind.choices)
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="movements"
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    quantity_t = models.DecimalField(_("quantity (t)"), **T)
    replacement_t = models.DecimalField(_("replacement (t)"), **T, null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=4000)
    state = models.CharField(
        _("state"), max_length=10, choices=MovementState.choices, default=MovementState.IN_REVIEW
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="stockpile_movements",
    )
    decision_reason = models.TextField(
        _("reason for rejection or withdrawal"), blank=True, max_length=4000
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    # The holding right after this movement was booked (for the agency's record).
    holding_after_t = models.DecimalField(_("holding after (t)"), **T, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stockpile movement")
        verbose_name_plural = _("stockpile movements")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_t__gt=0), name="movement_quantity_positive"
            ),
            models.CheckConstraint(
                condition=(Q(kind="rotation") & Q(replacement_t__gte=F("quantity_t")))
                | (~Q(kind="rotation") & Q(replacement_t__isnull=True)),
                name="movement_rotation_replaces",
            ),
            # Only a release waits for approval or can be rejected or withdrawn.
            models.CheckConstraint(
                condition=Q(kind="release") | Q(state="booked"),
                name="movement_only_release_in_review",
            ),
            models.CheckConstraint(
                condition=~Q(state="booked") | Q(booked_at__isnull=False),
                name="movement_booked_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"], name="movement_state_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == MovementState.IN_REVIEW

    @property
    def net_change_t(self) -> Decimal:
        """How the holding changes when this movement is booked."""
        if self.kind == MovementKind.PURCHASE:
            return self.quantity_t
        if self.kind == MovementKind.ROTATION:
            return (self.replacement_t or Decimal(0)) - self.quantity_t
        return -self.quantity_t
