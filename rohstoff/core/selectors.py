"""Reads of the shared kernel that have rules: every function takes the acting user."""

from django.conf import settings
from django.db.models import Case, CharField, F, JSONField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from . import policy
from .models import ApiToken, AuditEvent, Invitation, Job, Material, User

# Who sees which colleague, token and job is the policy's rule; re-exported for the views.
from .policy import colleagues_visible_to, jobs_visible_to, tokens_visible_to


def material_list(*, search: str = "", family: str = "", crma: str = "") -> QuerySet[Material]:
    qs = Material.objects.all()
    if search:
        qs = qs.filter(
            Q(code__icontains=search)
            | Q(name_en__icontains=search)
            | Q(name_de__icontains=search)
            | Q(formula__icontains=search)
            | Q(element__iexact=search)
        )
    if family:
        qs = qs.filter(family=family)
    if crma:
        qs = qs.filter(crma=crma)
    return qs


def material_get(*, code: str) -> Material:
    try:
        return Material.objects.get(code=code)
    except Material.DoesNotExist:
        raise Http404 from None


def colleague_get(*, user: User, pk: int) -> User:
    try:
        return colleagues_visible_to(user).get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None


def invitations_visible_to(user: User) -> QuerySet[Invitation]:
    """The pending invitations the user may manage (policy.invitations_visible_to)."""
    return policy.invitations_visible_to(user).filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_get(*, user: User, pk: int) -> Invitation:
    try:
        return invitations_visible_to(user).get(pk=pk)
    except Invitation.DoesNotExist:
        raise Http404 from None


def token_get(*, user: User, pk: int) -> ApiToken:
    try:
        return tokens_visible_to(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None


def audit_events(*, search: str = "", object_type: str = "") -> QuerySet[AuditEvent]:
    """Audit events for staff. An event about an object whose figures staff may not read
    (``settings.AUDIT_WITHHELD_OBJECT_TYPES``: a firm's demand line) comes with ``withheld``
    true and ``shown_before``, ``shown_after`` and ``shown_repr`` empty: that it happened, who
    and when, and the object's id only (docs/security.md). Search does not look into what is
    withheld."""
    withheld = Q(object_type__in=settings.AUDIT_WITHHELD_OBJECT_TYPES)

    def unless_withheld(field, output_field):
        return Case(When(withheld, then=Value(None)), default=F(field), output_field=output_field)

    qs = (
        AuditEvent.objects.select_related("actor", "organisation")
        .annotate(
            withheld=Case(When(withheld, then=Value(True)), default=Value(False)),
            shown_before=unless_withheld("before", JSONField()),
            shown_after=unless_withheld("after", JSONField()),
            shown_repr=unless_withheld("object_repr", CharField()),
        )
        .defer("before", "after", "object_repr")
    )
    if search:
        qs = qs.filter(
            Q(action__icontains=search)
            | (Q(object_repr__icontains=search) & ~withheld)
            | Q(actor_label__icontains=search)
        )
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs


def audit_object_types() -> list[str]:
    return list(
        AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )


def job_get(*, user: User, pk) -> Job:
    try:
        return jobs_visible_to(user).get(pk=pk)
    except Job.DoesNotExist:
        raise Http404 from None
