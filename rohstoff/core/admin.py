from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from .models import (
    AccessibilityFeedback,
    ApiToken,
    AuditCheckpoint,
    AuditEvent,
    Invitation,
    Job,
    Material,
    Organisation,
    User,
)

# Staff sign in through the platform's own sign-in (rate limits, second factor), never through
# the admin's password-only form; the admin's login page hands over to it.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Rohstoff administration")
admin.site.site_title = _("Rohstoff administration")
admin.site.index_title = _("Organisations, people and reference data")
admin.site.site_url = "/"
# Who may do what is the user's role (docs/roles-and-visibility.md) and staff are superusers:
# Django's groups grant nothing here, so the admin does not offer a page to edit them.
admin.site.unregister(Group)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "organisation", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff", "organisation__kind"]
    search_fields = ["email", "full_name", "organisation__name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        (_("Membership"), {"fields": ["organisation", "role"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "organisation", "role", "password1", "password2"],
            },
        )
    ]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_en",
        "name_de",
        "formula",
        "element",
        "element_content",
        "family",
        "crma",
    ]
    list_filter = ["family", "crma"]
    search_fields = ["code", "name_en", "name_de"]
    readonly_fields = ["element_content"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, for the admin as for everyone."""

    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "actor_label"]  # and object_repr, unless withheld (below)
    # A demand line's figures are the firm's and the desk's: staff see that the event exists,
    # who and when, and the line's id (settings.AUDIT_WITHHELD_OBJECT_TYPES, docs/security.md).
    withheld_fields = ("object_repr", "before", "after", "prev_hash", "hash")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.object_type in settings.AUDIT_WITHHELD_OBJECT_TYPES:
            return [f for f in fields if f not in self.withheld_fields]
        return fields

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(object_repr__icontains=search_term.strip()).exclude(
                object_type__in=settings.AUDIT_WITHHELD_OBJECT_TYPES
            )
        return results, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    """Read-only: what each integrity check verified (append-only, like the events)."""

    list_display = ["checked_at", "ok", "checked", "head_seq", "head_hash", "problem_code"]
    list_filter = ["ok"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "subject_type",
        "subject_id",
        "state",
        "progress",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "state"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "digest", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # tokens are created by their user or `manage.py api_token`, shown once


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organisation",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = ["digest"]


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "page_url", "contact"]
