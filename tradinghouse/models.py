"""Procurement positions: a round's pooled demand per material and quarter, with disclosure
flags, and its element roll-up.

Each aggregation writes a complete new ``PositionSet`` and then makes it current in one small
transaction, so readers see either the old positions or the new ones, never a mix; a failed run
leaves the current set untouched. Quantities are tonnes at 6 decimal places.

Earlier published sets (``published_at`` set, no longer current) stay as long as a figure they
disclosed could still be compared with a newer one: disclosure control needs their firm positions
to check what a reader learns by subtraction (docs/disclosure.md). Readers only ever see the
current set.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from industry.models import DemandRound
from rohstoff.core.models import Job, Material, Organisation
from rohstoff.core.periods import Quarter

T = {"max_digits": 22, "decimal_places": 6}


class HiddenReason(models.TextChoices):
    FEW_FIRMS = "few_firms", _("fewer firms than the minimum")
    # xgettext:no-python-format
    DOMINANCE = "dominance", _("one firm dominates (p% rule)")
    COMPLEMENTARY = "complementary", _("hidden so that the row total does not reveal another cell")
    PART_HIDDEN = "part_hidden", _("a material in this roll-up is hidden")
    CHANGE = "change", _("its change since an earlier publication would reveal a firm")


class PositionSet(models.Model):
    round = models.ForeignKey(DemandRound, on_delete=models.CASCADE, related_name="position_sets")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the set became current (the positions' "as of" for readers).
    published_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=False)
    # The disclosure thresholds this set was computed with.
    min_firms = models.PositiveSmallIntegerField()
    p_rule = models.DecimalField(max_digits=5, decimal_places=4)
    line_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=Q(is_current=True), name="one_current_position_set"
            )
        ]

    def __str__(self):
        return f"{self.round} #{self.pk}{' (current)' if self.is_current else ''}"


class CellFigures:
    """The figures derived from a cell's demand and contracted tonnes (docs/periods-and-units.md,
    "Cells"), for stored cells and for the plain rows dashboards read."""

    __slots__ = ()

    @property
    def open_t(self) -> Decimal:
        """demand - contracted - covered by members directly (negative: surplus)."""
        return self.demand_t - self.contracted_t - self.covered_directly_t

    @property
    def coverage(self) -> Decimal | None:
        """(contracted + covered directly) / demand at 4 places; None without demand."""
        if not self.demand_t:
            return None
        covered = self.contracted_t + self.covered_directly_t
        return (covered / self.demand_t).quantize(Decimal("0.0001"))

    @property
    def open_without_direct_t(self) -> Decimal:
        """demand - contracted: what a reader sees where the covered-directly figure is hidden."""
        return self.demand_t - self.contracted_t

    @property
    def coverage_without_direct(self) -> Decimal | None:
        if not self.demand_t:
            return None
        return (self.contracted_t / self.demand_t).quantize(Decimal("0.0001"))


class PositionCell(CellFigures, models.Model):
    """Round x material x quarter; exists only where demand > 0."""

    position_set = models.ForeignKey(PositionSet, on_delete=models.CASCADE, related_name="cells")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    quarter = models.PositiveIntegerField()
    demand_t = models.DecimalField(**T)
    demand_firm_t = models.DecimalField(**T)
    demand_indicative_t = models.DecimalField(**T)
    contributors = models.PositiveIntegerField()
    firm_contributors = models.PositiveIntegerField(default=0)
    indicative_contributors = models.PositiveIntegerField(default=0)
    largest_share = models.DecimalField(max_digits=7, decimal_places=6, help_text="desk only")
    disclosed = models.BooleanField()
    hidden_reason = models.CharField(max_length=16, choices=HiddenReason.choices, blank=True)
    firm_disclosed = models.BooleanField(default=False)
    indicative_disclosed = models.BooleanField(default=False)
    contracted_t = models.DecimalField(**T, default=Decimal("0"))
    allocated_t = models.DecimalField(**T, default=Decimal("0"))
    # Covered by members directly: their reported contracts, each firm's capped at its demand in
    # the cell (docs/reported-contracts.md). Shown to non-trustees only when ``direct_disclosed``.
    covered_directly_t = models.DecimalField(**T, default=Decimal("0"))
    direct_reporters = models.PositiveIntegerField(default=0)
    direct_disclosed = models.BooleanField(default=False)

    class Meta:
        ordering = ["material__sort_order", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["position_set", "material", "quarter"], name="one_cell_per_material_quarter"
            )
        ]

    def __str__(self):
        return f"{self.material_id} {self.period}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)


class FirmPosition(models.Model):
    """One firm's pooled demand in one cell (trustee data: the desk, and the firm itself for its own
    rows). Member dashboards compare it with the disclosed pool; allocation reads the firm part."""

    # No separate indexes on the foreign keys: the unique constraint (which starts with the set)
    # and the cell index serve every read, and each index less makes the aggregation's bulk insert
    # cheaper.
    position_set = models.ForeignKey(
        PositionSet, on_delete=models.CASCADE, related_name="firm_positions", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    material = models.ForeignKey(
        Material, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quarter = models.PositiveIntegerField()
    demand_t = models.DecimalField(**T)
    demand_firm_t = models.DecimalField(**T)
    demand_indicative_t = models.DecimalField(**T)
    # The firm's reported contracts in this cell, at most its demand (docs/reported-contracts.md).
    # A database default: the aggregation inserts firm positions in SQL, then sets this column.
    covered_directly_t = models.DecimalField(**T, default=Decimal("0"), db_default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["position_set", "organisation", "material", "quarter"],
                name="one_firm_position_per_cell",
            )
        ]
        indexes = [
            models.Index(fields=["position_set", "material", "quarter"], name="firmpos_cell")
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.material_id} {self.quarter}"


class ElementCell(models.Model):
    """Roll-up: tonnes of contained element (and LCE for lithium) over all materials of an element."""

    position_set = models.ForeignKey(
        PositionSet, on_delete=models.CASCADE, related_name="element_cells"
    )
    element = models.CharField(max_length=8)
    quarter = models.PositiveIntegerField()
    demand_t = models.DecimalField(**T)
    demand_lce_t = models.DecimalField(**T, null=True, blank=True)
    contributors = models.PositiveIntegerField()
    largest_share = models.DecimalField(max_digits=7, decimal_places=6)
    disclosed = models.BooleanField()
    hidden_reason = models.CharField(max_length=16, choices=HiddenReason.choices, blank=True)

    class Meta:
        ordering = ["element", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["position_set", "element", "quarter"], name="one_cell_per_element_quarter"
            )
        ]

    def __str__(self):
        return f"{self.element} {self.period}"

    @property
    def period(self) -> Quarter:
        return Quarter.from_index(self.quarter)
