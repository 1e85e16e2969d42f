"""Admin of offtake contracts: reference data (counterparties, price indices) is edited here;
contracts, schedules, deliveries and allocations are read-only, because their writes go through
the services (state rules, audit log, positions)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rohstoff.core.formatting import format_tonnes

from .models import Allocation, Counterparty, OfftakeContract, PriceIndex


@admin.register(Counterparty)
class CounterpartyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]


@admin.register(PriceIndex)
class PriceIndexAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "provider", "material", "currency", "unit"]
    search_fields = ["code", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OfftakeContract)
class OfftakeContractAdmin(ReadOnlyAdmin):
    list_display = ["reference", "counterparty", "material", "state", "signed_on"]
    list_filter = ["state", "material"]
    search_fields = ["reference", "counterparty__name"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["contract", "period", "organisation", "quantity", "state"]
    list_filter = ["state"]
    search_fields = ["contract__reference", "organisation__name"]

    @admin.display(description=_("Quarter"), ordering="quarter")
    def period(self, allocation):
        """ "2027-Q1", not the quarter's stored index."""
        return str(allocation.period)

    @admin.display(description=_("Allocated"), ordering="quantity_t")
    def quantity(self, allocation):
        """Tonnes as every page writes them, not the stored six decimals."""
        return format_tonnes(allocation.quantity_t)
