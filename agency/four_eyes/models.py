"""Four eyes: the record of each approver's decision on something that needs two approvals (a
stake proposal; a stockpile release later). One generic model so every subject uses the same rules
and the same service (agency/four_eyes/services.py, docs/four-eyes.md).

A decision names the subject's ``revision`` it was taken on; only decisions on the current revision
count, so any change to the subject (which bumps its revision) voids the approvals given before.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    APPROVE = "approve", _("approved")
    REJECT = "reject", _("rejected")


class Approval(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    revision = models.PositiveIntegerField(_("revision"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="four_eyes_decisions",
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True, max_length=4000)
    # Set when a change to the subject voided this approval (kept for the record).
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("four-eyes decision")
        verbose_name_plural = _("four-eyes decisions")
        constraints = [
            # The same approver twice on one revision counts once.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "revision", "approver"],
                name="one_decision_per_approver_and_revision",
            ),
            models.CheckConstraint(
                condition=~Q(decision="reject") | ~Q(reason=""),
                name="rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="approval_subject"),
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} r{self.revision} {self.decision}"


class FourEyesSubject(models.Model):
    """Abstract base of what needs two approvals: a revision counter that every change bumps and
    the decisions taken on it. Subclasses name their author in ``author``."""

    revision = models.PositiveIntegerField(_("revision"), default=1)
    approvals = GenericRelation(Approval, related_query_name="%(class)s")

    class Meta:
        abstract = True
