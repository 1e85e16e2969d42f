"""Offtake contracts of the trading house: counterparties, terms, pricing, delivery schedules,
deliveries, documents, index prices and FX rates, and back-to-back allocations to member firms.

Each contract serves one demand round. Quarters are stored as an index (year * 4 + quarter - 1),
quantities as tonnes of the material's form at 6 decimal places.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from agency.models import Project, StakeProposal
from industry.models import DemandRound
from rohstoff.core.formatting import format_tonnes
from rohstoff.core.models import Material, Organisation
from rohstoff.core.money import Currency
from rohstoff.core.periods import Quarter

T = {"max_digits": 22, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 4}
PERCENT = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}


class CounterpartyKind(models.TextChoices):
    PRODUCER = "producer", _("producer (mine)")
    REFINER = "refiner", _("refiner / processor")
    RECYCLER = "recycler", _("recycler")
    TRADER = "trader", _("trader")


class Counterparty(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CounterpartyKind.choices)
    country = CountryField(_("country"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")

    def __str__(self):
        return self.name


class PriceUnit(models.TextChoices):
    PER_T = "t", _("per t")
    PER_KG = "kg", _("per kg")


class PriceIndex(models.Model):
    """A price assessment such as a Fastmarkets or Benchmark index. Values are entered by the desk;
    licensed prices are never shipped with the software."""

    code = models.SlugField(_("identifier"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    provider = models.CharField(
        _("provider"), max_length=80, help_text=_("e.g. Fastmarkets, Benchmark, Argus")
    )
    material = models.ForeignKey(
        Material, on_delete=models.PROTECT, related_name="+", verbose_name=_("material")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    unit = models.CharField(_("unit"), max_length=2, choices=PriceUnit.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("price index")
        verbose_name_plural = _("price indices")

    def __str__(self):
        return f"{self.name} ({self.currency}/{self.unit})"


class IndexValue(models.Model):
    index = models.ForeignKey(PriceIndex, on_delete=models.CASCADE, related_name="values")
    date = models.DateField(_("date"))
    value = models.DecimalField(_("value"), **MONEY)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["index", "date"], name="one_index_value_per_day")
        ]

    def __str__(self):
        return f"{self.index_id} {self.date}: {self.value}"


class FxRate(models.Model):
    """Units of ``currency`` per one euro on ``date`` (the ECB's convention: 1 EUR = 1.08 USD)."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    date = models.DateField(_("date"))
    per_eur = models.DecimalField(_("units per EUR"), max_digits=16, decimal_places=6)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="one_fx_rate_per_day"),
            models.CheckConstraint(condition=Q(per_eur__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self):
        return f"EUR/{self.currency} {self.date}: {self.per_eur}"


class ContractState(models.TextChoices):
    DRAFT = "draft", _("draft")
    NEGOTIATING = "negotiating", _("negotiating")
    SIGNED = "signed", _("signed")
    ACTIVE = "active", _("active")
    COMPLETED = "completed", _("completed")
    TERMINATED = "terminated", _("terminated")


# Which states a contract may move to from each state.
CONTRACT_TRANSITIONS = {
    ContractState.DRAFT: (ContractState.NEGOTIATING, ContractState.TERMINATED),
    ContractState.NEGOTIATING: (
        ContractState.SIGNED,
        ContractState.DRAFT,
        ContractState.TERMINATED,
    ),
    ContractState.SIGNED: (ContractState.ACTIVE, ContractState.TERMINATED),
    ContractState.ACTIVE: (ContractState.COMPLETED, ContractState.TERMINATED),
    ContractState.COMPLETED: (),
    ContractState.TERMINATED: (),
}
# Contracts whose scheduled volumes count as contracted supply in positions.
SUPPLY_STATES = (ContractState.SIGNED, ContractState.ACTIVE)


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW"
    FCA = "FCA", "FCA"
    CPT = "CPT", "CPT"
    CIP = "CIP", "CIP"
    DAP = "DAP", "DAP"
    DPU = "DPU", "DPU"
    DDP = "DDP", "DDP"
    FAS = "FAS", "FAS"
    FOB = "FOB", "FOB"
    CFR = "CFR", "CFR"
    CIF = "CIF", "CIF"


class PricingType(models.TextChoices):
    FIXED = "fixed", _("fixed price")
    INDEX = "index", _("index-linked")


class QuotationalPeriod(models.TextChoices):
    """Which index values make a quarter's price: their average over the period."""

    QUARTER = "Q", _("average of the delivery quarter")
    PREVIOUS_QUARTER = "Q-1", _("average of the quarter before delivery")
    PREVIOUS_MONTH = "M-1", _("average of the month before the delivery quarter")


class FeeType(models.TextChoices):
    PER_UNIT = "per_unit", _("amount per price unit")
    PERCENT = "percent", _("percent of the contract price")


class PricingTerms(models.Model):
    """The commercial terms a contract and a supplier's offer share: the price (fixed, or an
    index with its quotational period and a premium, between an optional floor and cap), its
    currency and unit, and the Incoterm with its named place (docs/pricing.md,
    docs/suppliers.md). Each model adds its own ``index`` (the contracts are the index's
    ``contracts``)."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    price_unit = models.CharField(
        _("price unit"), max_length=2, choices=PriceUnit.choices, default=PriceUnit.PER_T
    )
    pricing_type = models.CharField(_("pricing"), max_length=6, choices=PricingType.choices)
    fixed_price = models.DecimalField(_("fixed price"), **MONEY, null=True, blank=True)
    quotational_period = models.CharField(
        _("quotational period"), max_length=4, choices=QuotationalPeriod.choices, blank=True
    )
    premium = models.DecimalField(_("premium (+) or discount (−)"), **MONEY, default=Decimal("0"))
    floor = models.DecimalField(_("floor"), **MONEY, null=True, blank=True)
    cap = models.DecimalField(_("cap"), **MONEY, null=True, blank=True)
    incoterm = models.CharField(_("Incoterm 2020"), max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(_("named place"), max_length=120)

    class Meta:
        abstract = True


class OfftakeContract(PricingTerms):
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    counterparty = models.ForeignKey(
        Counterparty,
        verbose_name=_("counterparty"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    round = models.ForeignKey(
        DemandRound,
        verbose_name=_("serves round"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=200, blank=True)
    start_quarter = models.PositiveIntegerField(_("first quarter"))
    end_quarter = models.PositiveIntegerField(_("last quarter"))
    annual_volume_t = models.DecimalField(_("annual volume (t)"), **T)
    tolerance_pct = models.DecimalField(_("tolerance ± %"), **PERCENT, default=Decimal("5"))
    take_or_pay_pct = models.DecimalField(_("take-or-pay share %"), **PERCENT, default=Decimal("0"))
    fee_type = models.CharField(
        _("house fee"), max_length=8, choices=FeeType.choices, default=FeeType.PERCENT
    )
    fee_value = models.DecimalField(_("fee"), **MONEY, default=Decimal("0"))
    lot_size_t = models.DecimalField(_("lot size (t)"), **T, default=Decimal("0.001"))
    project = models.ForeignKey(
        Project,
        verbose_name=_("agency project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    # The approved agency stake whose offtake right this contract fulfils (docs/stakes.md): the
    # approval creates the contract as a draft for the desk.
    stake = models.OneToOneField(
        StakeProposal,
        verbose_name=_("agency stake"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offtake_contract",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ContractState.choices, default=ContractState.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    index = models.ForeignKey(
        PriceIndex,
        verbose_name=_("price index"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )

    class Meta:
        ordering = ["-signed_on", "reference"]
        verbose_name = _("offtake contract")
        verbose_name_plural = _("offtake contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_quarter__gte=models.F("start_quarter")),
                name="contract_term_ordered",
            ),
            models.CheckConstraint(condition=Q(lot_size_t__gt=0), name="contract_lot_positive"),
            models.CheckConstraint(
                condition=Q(floor__isnull=True)
                | Q(cap__isnull=True)
                | Q(floor__lte=models.F("cap")),
                name="contract_floor_not_above_cap",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def first_period(self) -> Quarter:
        return Quarter.from_index(self.start_quarter)

    @property
    def last_period(self) -> Quarter:
        return Quarter.from_index(self.end_quarter)


class ScheduleEntry(models.Model):
    """Scheduled delivery quantity of one quarter."""

    contract = models.ForeignKey(OfftakeContract, on_delete=models.CASCADE, related_name="schedule")
    quarter = models.PositiveIntegerField()
    quantity_t = models.DecimalField(_("scheduled (t)"), **T)

    class Meta:
        ordering = ["contract", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "quarter"], name="one_schedule_entry_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quantity_t__gte=0), name="schedule_quantity_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.contract_id} {self.period}: {format_tonnes(self.quantity_t)}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)


class InvoiceState(models.TextChoices):
    NONE = "none", _("not invoiced")
    PROVISIONAL = "provisional", _("provisional invoice")
    FINAL = "final", _("final invoice")


class Delivery(models.Model):
    contract = models.ForeignKey(
        OfftakeContract, on_delete=models.CASCADE, related_name="deliveries"
    )
    quarter = models.PositiveIntegerField(
        help_text="the scheduled quarter this delivery counts against"
    )
    delivered_on = models.DateField(_("delivered on"))
    quantity_t = models.DecimalField(_("quantity (t)"), **T)
    assay = models.CharField(_("grade / assay"), max_length=200, blank=True)
    provisional_pct = models.DecimalField(
        _("provisional invoice %"), **PERCENT, default=Decimal("90")
    )
    provisional_price = models.DecimalField(_("provisional price"), **MONEY, null=True, blank=True)
    final_price = models.DecimalField(_("final price"), **MONEY, null=True, blank=True)
    invoice_state = models.CharField(
        _("invoice"), max_length=12, choices=InvoiceState.choices, default=InvoiceState.NONE
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "delivered_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_t__gt=0), name="delivery_quantity_positive")
        ]
        indexes = [models.Index(fields=["contract", "quarter"], name="delivery_contract_quarter")]

    def __str__(self):
        return f"{self.contract} {self.delivered_on} {format_tonnes(self.quantity_t)}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)


class ScheduleStatus(models.TextChoices):
    UPCOMING = "upcoming", _("upcoming")
    DUE = "due", _("due this quarter")
    LATE = "late", _("late")
    SHORT = "short", _("short")
    DELIVERED = "delivered", _("delivered")


class ScheduleFlag(models.Model):
    """What the daily check found for a scheduled quarter (late or short), and when it told the desk."""

    entry = models.OneToOneField(ScheduleEntry, on_delete=models.CASCADE, related_name="flag")
    status = models.CharField(max_length=10, choices=ScheduleStatus.choices)
    flagged_on = models.DateField()
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.entry} {self.status}"


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("contract")
    AMENDMENT = "amendment", _("amendment")
    SPECIFICATION = "specification", _("specification")
    OTHER = "other", _("other")


class ContractDocument(models.Model):
    contract = models.ForeignKey(
        OfftakeContract, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(
        _("kind"), max_length=14, choices=DocumentKind.choices, default=DocumentKind.CONTRACT
    )
    file = models.FileField(upload_to="contracts/%Y/")
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


class AllocationState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    CONFIRMED = "confirmed", _("confirmed")
    DECLINED = "declined", _("declined")


class AllocationRound(models.Model):
    """One allocation of a contract's volume to member firms: previewed and overridden as a draft
    by the desk, then released to the firms, who confirm or decline by ``respond_by``."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        RELEASED = "released", _("released to members")
        CLOSED = "closed", _("closed")

    # Released to the members (answered or not): these shares are visible to their firms and
    # count against later contracts of the same round.
    RELEASED_STATES = (State.RELEASED, State.CLOSED)

    contract = models.ForeignKey(
        OfftakeContract, on_delete=models.CASCADE, related_name="allocation_rounds"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    respond_by = models.DateTimeField(_("members respond by"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(state="draft"),
                name="one_draft_allocation_per_contract",
            ),
            # The target of each share's (round, contract) key: a share's contract is always
            # its round's (migration contracts 0007, docs/allocation.md).
            models.UniqueConstraint(fields=["id", "contract"], name="allocation_round_contract"),
        ]

    def __str__(self):
        return f"{self.contract} #{self.pk}"


class Allocation(models.Model):
    """A firm's back-to-back share of one contract quarter."""

    # No single-column indexes: each of these keys leads a composite index below, and a national
    # preview writes 100,000 shares at once (docs/benchmarks.md).
    allocation_round = models.ForeignKey(
        AllocationRound,
        on_delete=models.CASCADE,
        related_name="allocations",
        db_index=False,
        verbose_name=_("allocation round"),
    )
    # The round's contract, kept on the share for the queries by contract. The database holds
    # the pair (allocation_round, contract) to the round's own (id, contract) with one composite
    # key (migration contracts 0007): a share can never count against another contract than its
    # round's, and the contract exists because the round's does. That key makes a foreign key of
    # this column alone redundant; it would cost a second check per share (100,000 in a national
    # preview, docs/benchmarks.md).
    contract = models.ForeignKey(
        OfftakeContract,
        on_delete=models.CASCADE,
        related_name="allocations",
        db_index=False,
        db_constraint=False,
        verbose_name=_("contract"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="allocations",
        db_index=False,
        verbose_name=_("firm"),
    )
    quarter = models.PositiveIntegerField(verbose_name=_("quarter"))
    requested_t = models.DecimalField(_("remaining firm demand (t)"), **T)
    computed_t = models.DecimalField(_("computed share (t)"), **T)
    quantity_t = models.DecimalField(_("allocated (t)"), **T)
    explanation = models.JSONField(
        default=dict,
        help_text="how the share was computed, for the member",
        verbose_name=_("explanation"),
    )
    override_reason = models.TextField(blank=True, verbose_name=_("override reason"))
    # Volume this firm received from shares other firms declined (included in quantity_t).
    redistributed_t = models.DecimalField(
        _("received from declined shares (t)"), **T, default=Decimal("0")
    )
    state = models.CharField(
        max_length=10,
        choices=AllocationState.choices,
        default=AllocationState.PROPOSED,
        verbose_name=_("state"),
    )
    # Not answered by the deadline: the firm's firm demand commits it (round terms), so it counts
    # as confirmed; this flag tells the firm and the desk that nobody clicked.
    deemed_confirmed = models.BooleanField(default=False, verbose_name=_("deemed confirmed"))
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("overridden by"),
    )
    overridden_at = models.DateTimeField(null=True, blank=True, verbose_name=_("overridden at"))
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("answered by"),
    )
    responded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))
    # The desk cannot override a confirmed share; it reopens it with a reason the firm sees, and
    # the firm answers again (docs/allocation.md).
    reopen_reason = models.TextField(blank=True, verbose_name=_("reopen reason"))
    reopened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reopened at"))

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["contract", "quarter", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation_round", "organisation", "quarter"],
                name="one_allocation_per_firm_quarter",
            ),
            models.CheckConstraint(condition=Q(quantity_t__gte=0), name="allocation_not_negative"),
        ]
        indexes = [
            models.Index(fields=["organisation", "contract"], name="allocation_firm_contract"),
            models.Index(
                fields=["contract", "quarter", "state"], name="allocation_contract_quarter"
            ),
            # Who overrode or answered a share, for a user's removal: most shares have neither.
            models.Index(
                fields=["overridden_by"],
                condition=Q(overridden_by__isnull=False),
                name="allocation_overridden_by",
            ),
            models.Index(
                fields=["responded_by"],
                condition=Q(responded_by__isnull=False),
                name="allocation_responded_by",
            ),
        ]

    def __str__(self):
        return f"{self.contract} {self.period} → {self.organisation_id}: {format_tonnes(self.quantity_t)}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)
