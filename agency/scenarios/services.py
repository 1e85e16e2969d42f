"""Writes of export-stop scenarios: save and delete (only the inputs are kept; docs/scenarios.md).
Audited like every other change."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from industry.models import DemandRound
from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.periods import Quarter

from ..stockpile import policy
from .models import SavedScenario
from .selectors import check_inputs

FIELDS = ["name", "countries", "first_quarter", "round"]


@transaction.atomic
def scenario_save(
    *, actor, name: str, round: DemandRound, countries: list[str], first: Quarter
) -> SavedScenario:
    if not policy.runs_scenarios(actor) or not actor.organisation_id:
        raise StateConflict(_("Your role does not run scenarios."))
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": _("Enter a name of at most 120 characters.")})
    codes = check_inputs(round=round, countries=countries, first=first)
    if SavedScenario.objects.filter(organisation_id=actor.organisation_id, name=name).exists():
        raise ValidationError({"name": _("Your organisation has a scenario of this name already.")})
    scenario = SavedScenario.objects.create(
        name=name,
        countries=codes,
        first_quarter=first.index,
        round=round,
        author=actor,
        organisation_id=actor.organisation_id,
    )
    audit_record(
        actor=actor,
        action="scenario.save",
        obj=scenario,
        after={**snapshot(scenario, FIELDS), "countries": codes},
    )
    return scenario


@transaction.atomic
def scenario_delete(*, actor, scenario: SavedScenario) -> None:
    before = {**snapshot(scenario, FIELDS), "countries": scenario.country_codes}
    audit_record(actor=actor, action="scenario.delete", obj=scenario, before=before)
    scenario.delete()
