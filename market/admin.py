"""Admin of the market: staff register a supplier by linking its organisation (kind supplier) to
the counterparty it trades as; the link is saved through the service (rules, audit log). Calls,
offers and matches are written by their services only."""

from django.contrib import admin

from . import services
from .models import SupplierLink


@admin.register(SupplierLink)
class SupplierLinkAdmin(admin.ModelAdmin):
    list_display = ["organisation", "counterparty", "member_group"]
    search_fields = ["organisation__name", "counterparty__name"]

    def save_model(self, request, obj, form, change):
        saved = services.supplier_link_save(
            actor=request.user,
            organisation=obj.organisation,
            counterparty=obj.counterparty,
            member_group=obj.member_group,
        )
        obj.pk = saved.pk
