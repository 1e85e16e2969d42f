"""Writes of price indices, FX rates and contract prices: keyword-only functions, atomic, audit-
logged; side effects run after commit. ``ValidationError`` for bad input (400 in the API),
``StateConflict`` when the state forbids the change (409)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot

from ..models import (
    FxRate,
    IndexValue,
    PriceIndex,
)


@transaction.atomic
def index_create(
    *, actor, code: str, name: str, provider: str, material, currency: str, unit: str
) -> PriceIndex:
    if PriceIndex.objects.filter(code=code).exists():
        raise ValidationError({"code": _("An index with this identifier exists already.")})
    index = PriceIndex(
        code=code, name=name, provider=provider, material=material, currency=currency, unit=unit
    )
    index.full_clean()
    index.save()
    audit_record(
        actor=actor,
        action="price_index.create",
        obj=index,
        after=snapshot(index, ["code", "name", "provider", "material", "currency", "unit"]),
    )
    return index


@transaction.atomic
def index_value_set(*, actor, index: PriceIndex, date: datetime.date, value: Decimal) -> IndexValue:
    """Enter (or correct) the index value of one day."""
    if value is None or value <= 0:
        raise ValidationError({"value": _("An index value must be more than zero.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("Index values are entered for days that have passed.")})
    existing = IndexValue.objects.select_for_update().filter(index=index, date=date).first()
    before = {"value": existing.value} if existing else None
    obj = existing or IndexValue(index=index, date=date)
    obj.value, obj.entered_by = value, actor
    # Refuses what the column cannot hold (more than 4 decimal places, too large) by field.
    obj.full_clean(exclude=["index", "entered_by"])
    obj.save()
    audit_record(
        actor=actor,
        action="price_index.value",
        obj=index,
        before=before,
        after={"date": date, "value": value},
    )
    return obj


@transaction.atomic
def fx_rate_set(*, actor, currency: str, date: datetime.date, per_eur: Decimal) -> FxRate:
    if currency == "EUR":
        raise ValidationError(
            {"currency": _("The euro is the reference currency; it needs no rate.")}
        )
    if per_eur is None or per_eur <= 0:
        raise ValidationError({"per_eur": _("A rate must be more than zero.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("Rates are entered for days that have passed.")})
    existing = FxRate.objects.select_for_update().filter(currency=currency, date=date).first()
    before = {"per_eur": existing.per_eur} if existing else None
    rate = existing or FxRate(currency=currency, date=date)
    rate.per_eur, rate.entered_by = per_eur, actor
    # Refuses an unknown currency and what the column cannot hold (more than 6 decimal places).
    rate.full_clean(exclude=["entered_by"])
    rate.save()
    audit_record(
        actor=actor,
        action="fx_rate.set",
        obj=rate,
        before=before,
        after={"currency": currency, "date": date, "per_eur": per_eur},
    )
    return rate
