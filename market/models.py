"""The market: suppliers linked to the desk's counterparties, calls for offers on a round's
published positions, suppliers' offers, and the matching runs that allocate offers to open demand
(docs/suppliers.md, docs/matching.md).

Quarters are stored as an index (year * 4 + quarter - 1), quantities as tonnes at 6 decimal places.
An offer carries the same pricing fields as an offtake contract, so that the one pricing model
(contracts/pricing.py) prices both.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from contracts.models import (
    Counterparty,
    OfftakeContract,
    PriceIndex,
    PricingTerms,
)
from industry.models import DemandRound
from rohstoff.core.models import Material, Organisation
from rohstoff.core.periods import Quarter
from tradinghouse.models import PositionSet

T = {"max_digits": 22, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 4}


class SupplierLink(models.Model):
    """A supplier organisation and the counterparty record of the desk's book it trades as.

    ``member_group``: a member firm of the consortium the supplier belongs to (same group); such a
    supplier may not offer in a call whose round holds that firm's demand (buyer or seller,
    docs/suppliers.md)."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="supplier_link",
        limit_choices_to={"kind": "supplier"},
    )
    counterparty = models.OneToOneField(
        Counterparty,
        verbose_name=_("counterparty"),
        on_delete=models.PROTECT,
        related_name="supplier_link",
    )
    member_group = models.ForeignKey(
        Organisation,
        verbose_name=_("member firm of the same group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="affiliated_suppliers",
        limit_choices_to={"kind": "member"},
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("supplier link")
        verbose_name_plural = _("supplier links")

    def __str__(self):
        return f"{self.organisation_id} → {self.counterparty_id}"


class CallState(models.TextChoices):
    OPEN = "open", _("open for offers")
    MATCHED = "matched", _("matched")


class Call(models.Model):
    """A call for offers on one round's published position set."""

    round = models.ForeignKey(
        DemandRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="calls"
    )
    position_set = models.ForeignKey(
        PositionSet, on_delete=models.PROTECT, related_name="calls", help_text="as published"
    )
    title = models.CharField(_("title"), max_length=200)
    deadline = models.DateTimeField(_("offers due by"))
    terms = models.TextField(_("terms"))
    specifications = models.TextField(
        _("specifications"), blank=True, help_text=_("Grades and qualities, in the desk's words.")
    )
    diversification_limit = models.DecimalField(
        _("diversification limit"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.65"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
        help_text=_("Largest share of the matched volume from one third country (0.65 = 65 %)."),
    )
    # The suppliers the call goes to (docs/suppliers.md): only they see it and may offer.
    addressees = models.ManyToManyField(
        Organisation,
        verbose_name=_("addressed to"),
        related_name="calls_addressed",
        limit_choices_to={"kind": "supplier"},
        blank=True,
    )
    state = models.CharField(max_length=8, choices=CallState.choices, default=CallState.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("call for offers")
        verbose_name_plural = _("calls for offers")

    def __str__(self):
        return self.title

    def accepts_offers(self, now=None) -> bool:
        return self.state == CallState.OPEN and (now or timezone.now()) < self.deadline

    def deadline_passed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.deadline


class OriginStage(models.TextChoices):
    MINED = "mined", _("mined")
    REFINED = "refined", _("refined")
    RECYCLED = "recycled", _("recycled")


class OfferState(models.TextChoices):
    ACTIVE = "active", _("active")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Offer(PricingTerms):
    """A supplier's offer for one material in a call: volumes per quarter, a minimum over the
    whole offer, and a price like a contract's (fixed, or index + premium)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="offers")
    supplier = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    minimum_t = models.DecimalField(_("minimum volume (t)"), **T, default=Decimal("0"))
    index = models.ForeignKey(
        PriceIndex,
        verbose_name=_("price index"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin_country = CountryField(_("origin country"))
    origin_stage = models.CharField(_("stage"), max_length=8, choices=OriginStage.choices)
    esg = models.TextField(_("ESG credentials"), blank=True)
    state = models.CharField(max_length=10, choices=OfferState.choices, default=OfferState.ACTIVE)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["call", "material__sort_order", "pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["supplier", "call"], name="offer_supplier_call")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_t__gte=0), name="offer_minimum_not_negative"
            ),
            # The same rule as a contract's (contract_floor_not_above_cap, docs/pricing.md).
            models.CheckConstraint(
                condition=Q(floor__isnull=True)
                | Q(cap__isnull=True)
                | Q(floor__lte=models.F("cap")),
                name="offer_floor_not_above_cap",
            ),
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def offered_t(self) -> Decimal:
        return sum((q.volume_t for q in self.quarters.all()), Decimal(0))


class OfferQuarter(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="quarters")
    quarter = models.PositiveIntegerField()
    volume_t = models.DecimalField(_("volume (t)"), **T)

    class Meta:
        ordering = ["offer", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "quarter"], name="one_offer_volume_per_quarter"
            ),
            models.CheckConstraint(condition=Q(volume_t__gt=0), name="offer_volume_positive"),
        ]

    def __str__(self):
        return f"{self.offer_id} {self.period}: {self.volume_t} t"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)


class OfferDocument(models.Model):
    """An ESG credential or certificate attached to an offer (checked like every upload)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="market/%Y/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name


class MatchRun(models.Model):
    """One matching of a call's offers against its open positions. The current run is the one the
    desk reviews; a later run (after new offers cannot come any more, only when asked) replaces
    it."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)
    limit = models.DecimalField(max_digits=5, decimal_places=4)
    is_current = models.BooleanField(default=True)
    # What the run priced with: the latest FX rates and index values (strings, for the record).
    inputs = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call"], condition=Q(is_current=True), name="one_current_match_run"
            )
        ]

    def __str__(self):
        return f"{self.call_id} #{self.pk}"


class MatchStatus(models.TextChoices):
    FULL = "full", _("fully matched")
    PARTIAL = "partial", _("partly matched")
    NONE = "none", _("not matched")


class OfferResult(models.Model):
    """What a run gave one offer, with the engine's explanation (codes and parameters, turned
    into sentences when shown), and the draft contract the desk made of it."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="results")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="results")
    status = models.CharField(max_length=8, choices=MatchStatus.choices)
    offered_t = models.DecimalField(**T)
    matched_t = models.DecimalField(**T)
    notes = models.JSONField(default=list)
    contract = models.OneToOneField(
        OfftakeContract,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="match_result",
    )

    class Meta:
        ordering = ["run", "offer"]
        constraints = [
            models.UniqueConstraint(fields=["run", "offer"], name="one_result_per_offer_and_run")
        ]

    def __str__(self):
        return f"{self.run_id} {self.offer_id}: {self.matched_t} t"


class MatchAllocation(models.Model):
    """Tonnes of one offer in one quarter: what the engine computed and what the desk set."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="allocations")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="allocations")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    quarter = models.PositiveIntegerField()
    price_eur_t = models.DecimalField(**MONEY, null=True, blank=True)
    computed_t = models.DecimalField(**T)
    quantity_t = models.DecimalField(**T)
    adjust_reason = models.TextField(blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adjusted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "material__sort_order", "quarter", "offer"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "offer", "quarter"], name="one_match_per_offer_quarter"
            ),
            models.CheckConstraint(condition=Q(quantity_t__gte=0), name="match_not_negative"),
        ]

    def __str__(self):
        return f"{self.offer_id} {self.period}: {self.quantity_t} t"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)


class MatchCell(models.Model):
    """The outcome of one open demand cell in a run (desk only; disclosure decides what the
    ministry sees of it)."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="cells")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    quarter = models.PositiveIntegerField()
    open_t = models.DecimalField(**T)
    matched_t = models.DecimalField(**T)
    uncovered_t = models.DecimalField(**T)
    uncovered_reason = models.CharField(max_length=20, blank=True)
    countries = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "material__sort_order", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "material", "quarter"], name="one_match_cell_per_run"
            )
        ]

    def __str__(self):
        return f"{self.run_id} {self.material_id} {self.quarter}"
