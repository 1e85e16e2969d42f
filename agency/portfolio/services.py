"""Writes of the portfolio: money paid out under an approved stake (docs/portfolio.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict, ValidationError

from .. import policy
from ..stakes.models import Disbursement, ProposalStage, StakeProposal

FIELDS = ["proposal", "paid_on", "amount", "note"]


@transaction.atomic
def disbursement_record(
    *, actor, stake: StakeProposal, paid_on: datetime.date, amount: Decimal, note: str = ""
) -> Disbursement:
    """Record a payment under an approved stake, in the stake's currency. The payments may not
    add up to more than the amount approved. Locks the stake."""
    if not policy.is_agency(actor):
        raise PermissionDenied
    stake = StakeProposal.objects.select_for_update().get(pk=stake.pk)
    if stake.stage != ProposalStage.APPROVED:
        raise StateConflict(_("Money is paid out only under an approved stake."))
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    paid = stake.disbursements.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if paid + amount > stake.amount:
        raise ValidationError(
            {"amount": _("The payments would exceed the amount approved for the stake.")}
        )
    disbursement = Disbursement(
        proposal=stake, paid_on=paid_on, amount=amount, note=note.strip(), recorded_by=actor
    )
    disbursement.full_clean()
    disbursement.save()
    audit_record(
        actor=actor,
        action="stake.disbursement",
        obj=stake,
        after=snapshot(disbursement, FIELDS),
    )
    return disbursement
