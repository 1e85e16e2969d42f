"""Stake proposals of the agency: an instrument (equity, shareholder loan, loan guarantee,
exploration funding) in a project, the cap table after the deal, the offtake right it carries,
its documents checklist, review stages with their notes, and four-eyes approval at the committee.
An approved proposal is a stake of the agency's portfolio (docs/stakes.md)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from rohstoff.core.models import Material
from rohstoff.core.money import Currency

from ..four_eyes.models import FourEyesSubject
from ..projects.models import FIRST_YEAR, LAST_YEAR, MONEY, Project, T

PERCENT = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}


class Instrument(models.TextChoices):
    EQUITY = "equity", _("equity")
    SHAREHOLDER_LOAN = "shareholder_loan", _("shareholder loan")
    LOAN_GUARANTEE = "loan_guarantee", _("loan guarantee")
    EXPLORATION_FUNDING = "exploration_funding", _("exploration funding")


class ProposalStage(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCREENING = "screening", _("screening")
    TECHNICAL_DD = "technical_dd", _("technical due diligence")
    COMMERCIAL_REVIEW = "commercial_review", _("commercial review")
    ESG_REVIEW = "esg_review", _("ESG review")
    COMMITTEE = "committee", _("committee")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


# The review path in order; rejected and withdrawn may end it at any stage before approval.
REVIEW_PATH = (
    ProposalStage.DRAFT,
    ProposalStage.SCREENING,
    ProposalStage.TECHNICAL_DD,
    ProposalStage.COMMERCIAL_REVIEW,
    ProposalStage.ESG_REVIEW,
    ProposalStage.COMMITTEE,
    ProposalStage.APPROVED,
)
CLOSED_STAGES = (ProposalStage.APPROVED, ProposalStage.REJECTED, ProposalStage.WITHDRAWN)


class StakeProposal(FourEyesSubject):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="proposals"
    )
    instrument = models.CharField(_("instrument"), max_length=20, choices=Instrument.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    # The amount in EUR at the FX rate the service used on the last change (and at approval).
    amount_eur = models.DecimalField(_("amount (EUR)"), **MONEY, null=True, blank=True)
    fx_per_eur = models.DecimalField(
        _("FX rate used (units per EUR)"), max_digits=16, decimal_places=6, null=True, blank=True
    )
    fx_date = models.DateField(_("FX rate date"), null=True, blank=True)
    # The agency's part of the equity raised in this deal (JOGMEC's rule: at most 50 %, up to
    # 75 % with a special necessity); its holding in the company after the deal is its row of
    # the cap table (docs/stakes.md).
    equity_share_pct = models.DecimalField(
        _("equity share bought %"),
        **PERCENT,
        null=True,
        blank=True,
        help_text=_("The agency's part of the equity raised in this deal."),
    )
    special_necessity = models.TextField(
        _("special-necessity justification"),
        blank=True,
        max_length=10000,
        help_text=_("Needed for an equity share above 50 % (at most 75 %)."),
    )
    offtake_material = models.ForeignKey(
        Material,
        verbose_name=_("offtake material"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    offtake_t_per_year = models.DecimalField(_("offtake right (t/yr)"), **T, null=True, blank=True)
    offtake_first_year = models.PositiveSmallIntegerField(
        _("offtake first year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    offtake_last_year = models.PositiveSmallIntegerField(
        _("offtake last year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    offtake_shortfall_reason = models.TextField(
        _("reason for an offtake right below pro rata"), blank=True, max_length=10000
    )
    conditions = models.TextField(_("conditions"), blank=True, max_length=20000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="stake_proposals",
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=ProposalStage.choices, default=ProposalStage.DRAFT
    )
    stage_changed_at = models.DateTimeField(_("stage since"), auto_now_add=True)
    decision_reason = models.TextField(
        _("reason for rejection or withdrawal"), blank=True, max_length=10000
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stake proposal")
        verbose_name_plural = _("stake proposals")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposal_amount_positive"),
            # Equity share: only for equity, never above 75 % (the 50 % rule needs the written
            # justification, which the service checks).
            models.CheckConstraint(
                condition=Q(equity_share_pct__isnull=True)
                | Q(equity_share_pct__gt=0, equity_share_pct__lte=75),
                name="proposal_equity_share_range",
            ),
            models.CheckConstraint(
                condition=Q(instrument="equity") | Q(equity_share_pct__isnull=True),
                name="proposal_equity_share_only_for_equity",
            ),
            models.CheckConstraint(
                condition=Q(offtake_t_per_year__isnull=True) | Q(offtake_t_per_year__gt=0),
                name="proposal_offtake_positive",
            ),
            models.CheckConstraint(
                condition=Q(offtake_first_year__isnull=True)
                | Q(offtake_last_year__isnull=True)
                | Q(offtake_last_year__gte=F("offtake_first_year")),
                name="proposal_offtake_years_ordered",
            ),
            # An offtake right is all four fields or none.
            models.CheckConstraint(
                condition=Q(
                    offtake_material__isnull=True,
                    offtake_t_per_year__isnull=True,
                    offtake_first_year__isnull=True,
                    offtake_last_year__isnull=True,
                )
                | Q(
                    offtake_material__isnull=False,
                    offtake_t_per_year__isnull=False,
                    offtake_first_year__isnull=False,
                    offtake_last_year__isnull=False,
                ),
                name="proposal_offtake_complete",
            ),
        ]
        indexes = [models.Index(fields=["stage"], name="proposal_stage")]

    def __str__(self):
        return f"{self.project} · {self.get_instrument_display()} #{self.pk}"

    @property
    def has_offtake_right(self) -> bool:
        return self.offtake_material_id is not None

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


class CapTableEntry(models.Model):
    """A shareholder of the project company after the deal."""

    proposal = models.ForeignKey(StakeProposal, on_delete=models.CASCADE, related_name="cap_table")
    shareholder = models.CharField(_("shareholder"), max_length=200)
    share_pct = models.DecimalField(_("share %"), **PERCENT)
    is_agency = models.BooleanField(_("the agency"), default=False)

    class Meta:
        ordering = ["proposal", "-share_pct", "shareholder"]
        verbose_name = _("cap table entry")
        verbose_name_plural = _("cap table entries")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "shareholder"], name="one_cap_table_row_per_shareholder"
            ),
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(is_agency=True),
                name="one_agency_row_per_cap_table",
            ),
            models.CheckConstraint(
                condition=Q(share_pct__gt=0, share_pct__lte=100), name="cap_table_share_range"
            ),
        ]

    def __str__(self):
        return f"{self.shareholder}: {self.share_pct} %"


class StageNote(models.Model):
    """A reviewer's note on a proposal at one stage (also written for every stage move)."""

    proposal = models.ForeignKey(StakeProposal, on_delete=models.CASCADE, related_name="notes")
    stage = models.CharField(_("stage"), max_length=20, choices=ProposalStage.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), max_length=10000)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["proposal", "created_at", "pk"]
        verbose_name = _("stage note")
        verbose_name_plural = _("stage notes")

    def __str__(self):
        return f"{self.proposal_id} {self.stage}"


class DocumentItem(models.TextChoices):
    BUSINESS_PLAN = "business_plan", _("business plan")
    FINANCING_PLAN = "financing_plan", _("financing plan")
    TECHNICAL_REPORT = "technical_report", _("technical report (JORC / NI 43-101)")
    ECONOMICS = "economics", _("economics (NPV, IRR)")
    HSE_CHECK = "hse_check", _("HSE check sheet")
    MINING_RIGHTS = "mining_rights", _("mining rights")
    REGISTRY_EXTRACT = "registry_extract", _("commercial registry extract")
    OFFICERS = "officers", _("officers")
    CAP_TABLE = "cap_table", _("capital table")
    OFFTAKE_TERM_SHEET = "offtake_term_sheet", _("offtake term sheet")


class DocumentStatus(models.TextChoices):
    MISSING = "missing", _("missing")
    RECEIVED = "received", _("received")
    ACCEPTED = "accepted", _("accepted")


class ProposalDocument(models.Model):
    """One item of a proposal's documents checklist and the file last uploaded for it (the same
    rules as a contract's documents: type by content, size limit, SHA-256)."""

    proposal = models.ForeignKey(StakeProposal, on_delete=models.CASCADE, related_name="documents")
    item = models.CharField(_("item"), max_length=20, choices=DocumentItem.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.MISSING
    )
    file = models.FileField(upload_to="agency/%Y/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposal", "item"]
        verbose_name = _("proposal document")
        verbose_name_plural = _("proposal documents")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "item"], name="one_document_per_checklist_item"
            ),
            # Received or accepted means a file is there.
            models.CheckConstraint(
                condition=Q(status="missing") | ~Q(sha256=""), name="document_status_needs_file"
            ),
        ]

    def __str__(self):
        return f"{self.proposal_id} {self.item}: {self.status}"


class Disbursement(models.Model):
    """Money paid out under an approved stake (in the proposal's currency)."""

    proposal = models.ForeignKey(
        StakeProposal, on_delete=models.PROTECT, related_name="disbursements"
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "paid_on", "pk"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")
        ]

    def __str__(self):
        return f"{self.proposal_id} {self.paid_on}: {self.amount}"
