"""Offtake rights of approved agency stakes become draft contracts for the desk (docs/stakes.md,
"Offtake right to contract"). Registered with ``agency.offtake_rights`` in ContractsConfig.ready()
and called inside the approving transaction."""

from __future__ import annotations

from django.db import transaction

from industry.models import DemandRound, RoundState
from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.periods import Quarter

from ..models import Counterparty, CounterpartyKind, Incoterm, OfftakeContract, PricingType
from .services import CONTRACT_FIELDS, contract_check


def stake_round(*, material, first: Quarter, last: Quarter) -> DemandRound | None:
    """The demand round a stake's contract serves: one that collects the material with a
    delivery window overlapping the right's years; opened rounds before drafts, the latest
    window first."""
    rounds = list(
        DemandRound.objects.filter(
            materials=material, first_quarter__lte=last.index, last_quarter__gte=first.index
        ).distinct()
    )
    rounds.sort(key=lambda r: (r.state == RoundState.DRAFT, -r.last_quarter, -r.pk))
    return rounds[0] if rounds else None


def _counterparty(project, actor) -> Counterparty:
    """The project's operator as a counterparty: found by name (any case), else created."""
    found = Counterparty.objects.filter(name__iexact=project.operator.strip()).first()
    if found is not None:
        return found
    kind = CounterpartyKind.RECYCLER if project.stage == "recycling" else CounterpartyKind.PRODUCER
    counterparty = Counterparty.objects.create(
        name=project.operator.strip()[:200],
        kind=kind,
        country=project.country,
        notes=f"{project.name}",
    )
    audit_record(
        actor=actor,
        action="counterparty.create",
        obj=counterparty,
        after=snapshot(counterparty, ["name", "kind", "country", "notes"]),
    )
    return counterparty


def _reference(stake) -> str:
    base = f"ST-{stake.pk:05d}"
    reference, n = base, 1
    while OfftakeContract.objects.filter(reference=reference).exists():
        n += 1
        reference = f"{base}-{n}"
    return reference


@transaction.atomic
def contract_draft_for_stake(*, stake, actor) -> OfftakeContract | None:
    """The draft contract of an approved stake's offtake right: counterparty = the project's
    operator, the right's material, annual volume and years, linked to project and stake; the
    desk completes price, Incoterm and place and signs it as any other contract. Returns the
    existing one when there is one; None when no demand round collects the material for those
    years yet (nothing written)."""
    existing = OfftakeContract.objects.filter(stake=stake).first()
    if existing is not None:
        return existing
    first = Quarter(stake.offtake_first_year, 1)
    last = Quarter(stake.offtake_last_year, 4)
    round_ = stake_round(material=stake.offtake_material, first=first, last=last)
    if round_ is None:
        return None
    project = stake.project
    contract = OfftakeContract(
        reference=_reference(stake),
        counterparty=_counterparty(project, actor),
        round=round_,
        material=stake.offtake_material,
        project=project,
        stake=stake,
        start_quarter=first.index,
        end_quarter=last.index,
        annual_volume_t=stake.offtake_t_per_year,
        incoterm=Incoterm.FCA,
        incoterm_place=f"{project.name}, {project.country.code}"[:120],
        currency=stake.currency,
        pricing_type=PricingType.FIXED,
        created_by=actor,
    )
    contract_check(contract, price_open=True)
    contract.full_clean(exclude=["created_by"])
    contract.save()
    audit_record(
        actor=actor,
        action="contract.create",
        obj=contract,
        after={**snapshot(contract, CONTRACT_FIELDS + ["state"]), "stake": stake.pk},
    )
    return contract
