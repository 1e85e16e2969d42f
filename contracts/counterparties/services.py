"""Writes of counterparties (the suppliers the trading house contracts with): keyword-only
functions, atomic, audit-logged; side effects run after commit. ``ValidationError`` for bad input
(400 in the API), ``StateConflict`` when the state forbids the change (409)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record, snapshot

from ..models import (
    Counterparty,
)


@transaction.atomic
def counterparty_save(
    *,
    actor,
    counterparty: Counterparty | None = None,
    name: str,
    kind: str,
    country: str,
    notes: str = "",
) -> Counterparty:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the counterparty a name.")})
    clash = Counterparty.objects.filter(name__iexact=name)
    if counterparty is not None:
        clash = clash.exclude(pk=counterparty.pk)
    if clash.exists():
        raise ValidationError({"name": _("A counterparty with this name exists already.")})
    fields = ["name", "kind", "country", "notes"]
    before = snapshot(counterparty, fields) if counterparty else None
    counterparty = counterparty or Counterparty()
    counterparty.name, counterparty.kind, counterparty.country, counterparty.notes = (
        name,
        kind,
        country,
        notes,
    )
    counterparty.full_clean()
    counterparty.save()
    audit_record(
        actor=actor,
        action="counterparty.update" if before else "counterparty.create",
        obj=counterparty,
        before=before,
        after=snapshot(counterparty, fields),
    )
    return counterparty
