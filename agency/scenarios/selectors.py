"""Reads of export-stop scenarios, scoped by agency.stockpile.policy: who runs scenarios, which
rounds they may run them on, and the saved scenarios of the reader's organisation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from industry.models import DemandRound
from rohstoff.core.errors import ValidationError
from rohstoff.core.periods import Quarter
from rohstoff.core.shortcuts import get_visible_or_404
from tradinghouse import selectors as position_selectors

from ..stockpile import policy
from . import engine
from .models import MAX_COUNTRIES, SavedScenario


def _require(user) -> None:
    if not policy.runs_scenarios(user):
        raise PermissionDenied


def scenario_rounds(*, user) -> list[DemandRound]:
    """Rounds with current positions that ``user`` may read, newest first."""
    _require(user)
    return [r for r, ps in position_selectors.rounds_with_positions(user) if ps is not None]


def round_for_scenario(*, user, pk) -> DemandRound:
    _require(user)
    return position_selectors.round_get(user=user, pk=pk)


def check_inputs(*, round: DemandRound, countries: list[str], first: Quarter) -> list[str]:
    """The countries (upper case, each once, in the order given) or a ValidationError."""
    from django_countries import countries as known

    codes = []
    for code in countries:
        code = str(code).strip().upper()
        if code not in dict(known):
            raise ValidationError(
                {"countries": _("Unknown country code %(code)s.") % {"code": code}}
            )
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationError({"countries": _("Choose at least one country.")})
    if len(codes) > MAX_COUNTRIES:
        raise ValidationError({"countries": _("Choose at most 20 countries.")})
    if not round.first_quarter <= first.index <= round.last_quarter:
        raise ValidationError(
            {
                "first_quarter": _("Choose a quarter from %(first)s to %(last)s.")
                % {"first": round.first_period, "last": round.last_period}
            }
        )
    return codes


def scenario_run(*, user, round: DemandRound, countries: list[str], first: Quarter):
    _require(user)
    codes = check_inputs(round=round, countries=countries, first=first)
    return engine.run(user=user, round=round, countries=codes, first=first)


def saved_visible_to(user) -> QuerySet[SavedScenario]:
    """Saved scenarios are shared within the author's organisation; nobody else sees them."""
    if not policy.runs_scenarios(user) or not user.organisation_id:
        return SavedScenario.objects.none()
    return SavedScenario.objects.filter(organisation_id=user.organisation_id).select_related(
        "round", "author"
    )


def saved_get(*, user, pk) -> SavedScenario:
    return get_visible_or_404(saved_visible_to(user), pk=pk)


def saved_run(*, user, scenario: SavedScenario):
    """A saved scenario's result for ``user``, under ``user``'s rules (the round must still be
    one the user may read)."""
    round = round_for_scenario(user=user, pk=scenario.round_id)
    return engine.run(
        user=user, round=round, countries=scenario.country_codes, first=scenario.first_period
    )
