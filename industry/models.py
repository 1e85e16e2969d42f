"""Demand rounds and the demand lines member firms enter into them.

A round collects demand for some materials over a window of delivery quarters. Each line is one
firm's demand for one material, grade, period and delivery country (that key is unique: entering
it again replaces the line). Quarters are stored as an index (year * 4 + quarter - 1) so that
windows and the year-to-quarter split are plain integer arithmetic in SQL.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from rohstoff.core.models import Material, Organisation
from rohstoff.core.periods import Period, Quarter
from rohstoff.core.units import Unit


class RoundState(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")
    AGGREGATED = "aggregated", _("aggregated")


DEFAULT_TERMS = _(
    "1. Confidentiality: the trading house, acting as trustee, treats each firm's demand lines as "
    "confidential. Other member firms, the agency and the ministry never see them.\n"
    "2. Competition law: we do not exchange forward demand with competitors. Aggregates are "
    "published only under disclosure control (at least five firms, no dominant firm).\n"
    "3. Indicative lines express intent; firm lines commit us to take back-to-back allocations "
    "from offtake contracts signed against this round, within our stated quantities.\n"
    "4. The trading house may exclude implausible lines from pooling and will tell us why."
)


class DemandRound(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    materials = models.ManyToManyField(
        Material, verbose_name=_("materials in scope"), related_name="rounds"
    )
    first_quarter = models.PositiveIntegerField(_("first delivery quarter"))
    last_quarter = models.PositiveIntegerField(_("last delivery quarter"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    min_quantity_t = models.DecimalField(
        _("minimum quantity per line (t)"),
        max_digits=20,
        decimal_places=6,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    terms = models.TextField(_("participation terms"), default=DEFAULT_TERMS)
    state = models.CharField(
        _("state"), max_length=12, choices=RoundState.choices, default=RoundState.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Idempotence of the notification e-mails: set when each was sent.
    opened_notice_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("demand round")
        verbose_name_plural = _("demand rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_quarter__gte=models.F("first_quarter")),
                name="round_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_opening"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def first_period(self) -> Quarter:
        return Quarter.from_index(self.first_quarter)

    @property
    def last_period(self) -> Quarter:
        return Quarter.from_index(self.last_quarter)

    def quarters(self) -> list[Quarter]:
        return [Quarter.from_index(i) for i in range(self.first_quarter, self.last_quarter + 1)]

    def covers(self, period: Period) -> bool:
        """A period lies wholly inside the round's window (a year needs all four quarters)."""
        return self.first_quarter <= period.first.index and period.last.index <= self.last_quarter

    @property
    def is_open_for_entry(self) -> bool:
        now = timezone.now()
        return self.state == RoundState.OPEN and self.opens_at <= now < self.closes_at


class TermsAcceptance(models.Model):
    """A firm accepted a round's participation terms (needed before its first line)."""

    round = models.ForeignKey(DemandRound, on_delete=models.CASCADE, related_name="acceptances")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)
    terms = models.TextField(help_text="the terms as they read when accepted")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation"], name="terms_once_per_firm")
        ]

    def __str__(self):
        return f"{self.organisation} accepted {self.round}"


class Commitment(models.TextChoices):
    INDICATIVE = "indicative", _("indicative")
    FIRM = "firm", _("firm")


class DemandLine(models.Model):
    # Built for bulk uploads (100,000 lines at a time): no single-column indexes on round, firm and
    # material (the key's unique index leads with round and firm, which every read filters by).
    # Every reference is a database foreign key (integrity first: a line for a firm, material or
    # user that does not exist is refused by PostgreSQL itself); docs/benchmarks.md measures what
    # those checks cost against a keyed COPY.
    round = models.ForeignKey(
        DemandRound, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("firm"),
        on_delete=models.PROTECT,
        related_name="demand_lines",
        db_index=False,
    )
    material = models.ForeignKey(
        Material,
        verbose_name=_("material"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    grade = models.CharField(_("grade"), max_length=200, blank=True, default="")
    period = models.CharField(_("period"), max_length=7, help_text=_("2027 or 2027-Q3"))
    # Derived from ``period`` on every write: the first quarter's index and whether it is a year.
    first_quarter = models.PositiveIntegerField()
    is_year = models.BooleanField()
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=2, choices=Unit.choices)
    quantity_t = models.DecimalField(_("quantity (t)"), max_digits=20, decimal_places=6)
    commitment = models.CharField(
        _("commitment"), max_length=10, choices=Commitment.choices, default=Commitment.INDICATIVE
    )
    delivery_country = CountryField(_("delivery country"), default="DE")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency: each change increments it; a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    excluded = models.BooleanField(_("excluded"), default=False)
    exclusion_reason = models.TextField(_("reason for exclusion"), blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    excluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["material__sort_order", "first_quarter", "is_year", "pk"]
        verbose_name = _("demand line")
        verbose_name_plural = _("demand lines")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "material", "grade", "period", "delivery_country"],
                name="one_line_per_key",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
        ]
        indexes = [
            # The screening's default order (material, period, firm) and the desk's API list
            # (material, period, year flag, id): a page's ids come from a range of this index
            # alone, read material by material; the withdrawal time lets the list skip withdrawn
            # lines without reading the table (docs/screening.md, docs/benchmarks.md).
            models.Index(
                fields=["round", "material", "first_quarter"],
                include=["organisation", "is_year", "id", "withdrawn_at"],
                name="line_screening_order",
            ),
        ]

    def __str__(self):
        return f"{self.material.code} {self.period} {self.quantity} {self.unit}"

    @property
    def is_active(self) -> bool:
        """Counts in the pool: neither withdrawn by the firm nor excluded by the desk."""
        return self.withdrawn_at is None and not self.excluded


class LineChange(models.TextChoices):
    CREATED = "created", _("created")
    REPLACED = "replaced", _("replaced")
    UPDATED = "updated", _("updated")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXCLUDED = "excluded", _("excluded")
    RESTORED = "restored", _("restored")


class DemandLineHistory(models.Model):
    """What a line looked like before a change (and who changed it, when, how)."""

    line = models.ForeignKey(DemandLine, on_delete=models.CASCADE, related_name="history")
    change = models.CharField(max_length=10, choices=LineChange.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(help_text="the line's version before the change")
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    unit = models.CharField(max_length=2, blank=True)
    quantity_t = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    commitment = models.CharField(max_length=10, blank=True)
    withdrawn = models.BooleanField(default=False)
    excluded = models.BooleanField(default=False)
    # The key fields as they were: an edit in the grid may change material, grade, period or country.
    material = models.ForeignKey(
        Material, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(max_length=200, blank=True)
    period = models.CharField(max_length=7, blank=True)
    delivery_country = models.CharField(max_length=2, blank=True)
    exclusion_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.line_id} {self.change} v{self.version}"


class UploadState(models.TextChoices):
    PREVIEW = "preview", _("ready to commit")
    REJECTED = "rejected", _("rejected")
    COMMITTED = "committed", _("committed")


class DemandUpload(models.Model):
    """A demand file a member uploaded: kept for the preview, the commit and the error report.

    The id is random so that the preview and report links cannot be guessed; access is scoped to
    the uploading firm all the same.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(DemandRound, on_delete=models.CASCADE, related_name="uploads")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    state = models.CharField(max_length=10, choices=UploadState.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    replaced_count = models.PositiveIntegerField(default=0)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.state})"


class ReportedContract(models.Model):
    """A supply contract a member firm concluded itself, outside the platform, and reported back
    (docs/reported-contracts.md). Its quarters' tonnes cover part of the firm's own demand: the
    desk's open demand of the firm shrinks by them, and positions count them as covered by members
    directly, shown to others only through disclosure control."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("firm"), on_delete=models.PROTECT, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    origin_country = CountryField(_("origin country"))
    supplier_name = models.CharField(_("supplier"), max_length=200, blank=True)
    # Set by the service when the supplier's name is a counterparty of the desk's book (same name,
    # any case); members only name the supplier and never see the book.
    counterparty = models.ForeignKey(
        "contracts.Counterparty",
        verbose_name=_("counterparty"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.CharField(_("unit"), max_length=2, choices=Unit.choices, default=Unit.TONNE)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("reported contract")
        verbose_name_plural = _("reported contracts")
        indexes = [models.Index(fields=["organisation", "material"], name="reported_firm_material")]

    def __str__(self):
        return f"{self.organisation_id} {self.material_id} #{self.pk}"

    @property
    def total_t(self) -> Decimal:
        """Tonnes over all quarters (reads the prefetched quarters)."""
        return sum((q.quantity_t for q in self.quarters.all()), Decimal(0))


class ReportedQuarter(models.Model):
    """The volume of a reported contract in one delivery quarter (index as in DemandRound)."""

    contract = models.ForeignKey(
        ReportedContract, on_delete=models.CASCADE, related_name="quarters"
    )
    quarter = models.PositiveIntegerField(_("quarter"))
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=6)
    quantity_t = models.DecimalField(_("quantity (t)"), max_digits=20, decimal_places=6)

    class Meta:
        ordering = ["quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "quarter"], name="reported_quarter_once_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(quantity_t__gt=0),
                name="reported_quarter_positive",
            ),
        ]

    def __str__(self):
        return f"{Quarter.from_index(self.quarter)} {self.quantity_t} t"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)
