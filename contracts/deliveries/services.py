"""Writes of deliveries against a contract's schedule: keyword-only functions, atomic, audit-logged;
side effects run after commit. ``ValidationError`` for bad input (400 in the API), ``StateConflict``
when the state forbids the change (409)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict
from rohstoff.core.mail import absolute_url, mail_enqueue
from rohstoff.core.periods import Quarter

from .. import schedule as schedule_rules
from ..models import (
    SUPPLY_STATES,
    Delivery,
    InvoiceState,
    OfftakeContract,
    ScheduleEntry,
    ScheduleFlag,
)
from ..pricing import quarter_of

DELIVERY_FIELDS = [
    "quarter",
    "delivered_on",
    "quantity_t",
    "assay",
    "provisional_pct",
    "provisional_price",
    "final_price",
    "invoice_state",
    "notes",
]


def _invoice_state(delivery: Delivery) -> str:
    if delivery.final_price is not None:
        return InvoiceState.FINAL
    if delivery.provisional_price is not None:
        return InvoiceState.PROVISIONAL
    return InvoiceState.NONE


def _check_delivery(contract: OfftakeContract, delivery: Delivery) -> None:
    errors = {}
    if delivery.quantity_t is None or delivery.quantity_t <= 0:
        errors["quantity_t"] = _("The quantity must be more than zero.")
    if not contract.schedule.filter(quarter=delivery.quarter).exists():
        errors["quarter"] = _("The contract has no scheduled delivery in %(period)s.") % {
            "period": Quarter.from_index(delivery.quarter)
        }
    if delivery.delivered_on and delivery.delivered_on > timezone.localdate():
        errors["delivered_on"] = _("A delivery cannot be recorded before it has arrived.")
    for name in ("provisional_price", "final_price"):
        value = getattr(delivery, name)
        if value is not None and value < 0:
            errors[name] = _("A price cannot be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def delivery_record(
    *,
    contract: OfftakeContract,
    actor,
    quarter: int | None = None,
    delivered_on: datetime.date,
    quantity_t: Decimal,
    assay: str = "",
    provisional_pct: Decimal = Decimal("90"),
    provisional_price: Decimal | None = None,
    final_price: Decimal | None = None,
    notes: str = "",
) -> Delivery:
    contract = OfftakeContract.objects.select_for_update().get(pk=contract.pk)
    if contract.state not in SUPPLY_STATES:
        raise StateConflict(_("Deliveries are recorded against signed or active contracts only."))
    if quarter is None:
        quarter = quarter_of(delivered_on).index
    delivery = Delivery(
        contract=contract,
        quarter=quarter,
        delivered_on=delivered_on,
        quantity_t=quantity_t,
        assay=assay,
        provisional_pct=provisional_pct,
        provisional_price=provisional_price,
        final_price=final_price,
        notes=notes,
        recorded_by=actor,
    )
    _check_delivery(contract, delivery)
    delivery.invoice_state = _invoice_state(delivery)
    delivery.full_clean(exclude=["recorded_by", "contract"])
    delivery.save()
    audit_record(
        actor=actor,
        action="delivery.record",
        obj=delivery,
        after=snapshot(delivery, DELIVERY_FIELDS),
    )
    return delivery


@transaction.atomic
def delivery_update(*, delivery: Delivery, actor, **data) -> Delivery:
    delivery = Delivery.objects.select_for_update().select_related("contract").get(pk=delivery.pk)
    before = snapshot(delivery, DELIVERY_FIELDS)
    for name, value in data.items():
        if name not in DELIVERY_FIELDS or name == "invoice_state":
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(delivery, name, value)
    _check_delivery(delivery.contract, delivery)
    delivery.invoice_state = _invoice_state(delivery)
    delivery.full_clean(exclude=["recorded_by", "contract"])
    delivery.save()
    after = snapshot(delivery, DELIVERY_FIELDS)
    audit_record(
        actor=actor,
        action="delivery.update",
        obj=delivery,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return delivery


def deliveries_flag(*, today: datetime.date | None = None) -> list[ScheduleFlag]:
    """Flag scheduled quarters that are late (past due, nothing delivered) or short (past due,
    below the tolerance) and e-mail the desk once about each new finding. Safe to run twice:
    a quarter already reported with the same finding is not reported again; a flag whose
    quarter has been made up is removed."""
    today = today or timezone.localdate()
    current = quarter_of(today).index
    new_flags = []
    with transaction.atomic():
        entries = (
            ScheduleEntry.objects.select_for_update(of=("self",))
            .filter(contract__state__in=SUPPLY_STATES, quarter__lt=current, quantity_t__gt=0)
            .select_related("contract", "contract__counterparty", "contract__material")
            .order_by("contract__reference", "quarter")
        )
        entries = list(entries)
        delivered = {
            (row["contract_id"], row["quarter"]): row["t"]
            for row in Delivery.objects.filter(contract_id__in={e.contract_id for e in entries})
            .values("contract_id", "quarter")
            .annotate(t=Sum("quantity_t"))
        }
        flags = {f.entry_id: f for f in ScheduleFlag.objects.filter(entry__in=entries)}
        for entry in entries:
            got = delivered.get((entry.contract_id, entry.quarter)) or Decimal(0)
            state = schedule_rules.status(
                entry.quarter, entry.quantity_t, got, entry.contract.tolerance_pct, today
            )
            flag = flags.get(entry.pk)
            if state not in ("late", "short"):
                if flag is not None:
                    flag.delete()
                continue
            if flag is None:
                flag = ScheduleFlag.objects.create(entry=entry, status=state, flagged_on=today)
            elif flag.status != state:
                flag.status, flag.flagged_on, flag.notified_at = state, today, None
                flag.save(update_fields=["status", "flagged_on", "notified_at"])
            if flag.notified_at is None:
                flag.delivered_t = got
                new_flags.append(flag)
        if new_flags:
            ids = [f.pk for f in new_flags]
            ScheduleFlag.objects.filter(pk__in=ids, notified_at__isnull=True).update(
                notified_at=timezone.now()
            )
            mail_enqueue(
                template="contracts/email/schedule_flags",
                to=[settings.TRADING_DESK_EMAIL],
                context={
                    "flags": [{"flag": f, "delivered_t": f.delivered_t} for f in new_flags],
                    "checked_on": today,
                    "url": absolute_url("contracts:due"),
                },
            )
    return new_flags
