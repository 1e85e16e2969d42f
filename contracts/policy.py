"""Who may see and do what with offtake contracts: the one place in the contracts app that reads a
user's role. Selectors, views, the API and the services ask this module; templates ask
``can.contracts.<flag>`` (:func:`capabilities`, registered in ``ContractsConfig.ready()``).

The rules (docs/architecture.md, "Access policy"): the trading desk reads and writes everything;
the agency reads contracts, schedules, deliveries, documents, counterparties and prices, and the
quarter totals of an allocation; a member firm sees only its own shares of released allocation
rounds (and what passes through to it) and answers for them; the ministry sees aggregates only.
A firm's share is its forward demand: only the trading house (as trustee) and the firm see it.
"""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet

from rohstoff.core.models import Role, User

from .models import (
    Allocation,
    AllocationRound,
    ContractDocument,
    Counterparty,
    Delivery,
    FxRate,
    OfftakeContract,
    PriceIndex,
)

MEMBER_ROLES = (Role.MEMBER, Role.MEMBER_ADMIN)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def reads_contracts(user) -> bool:
    """Contracts, schedules, deliveries, documents, counterparties, prices: desk and agency."""
    return _signed_in(user) and (user.is_desk or user.is_agency)


def writes_contracts(user) -> bool:
    """Every write of the contracts app, allocation included: the trading desk."""
    return _signed_in(user) and user.is_desk


def reads_book_totals(user) -> bool:
    """Aggregates of the book (tonnes per material, quarter, country): readers and the ministry."""
    return _signed_in(user) and (user.is_desk or user.is_agency or user.is_ministry)


def reads_firm_shares(user) -> bool:
    """Every firm's share of an allocation, and allocations still in draft: the trustee only."""
    return writes_contracts(user)


def reads_pooled_demand(user) -> bool:
    """The pooled figures of an allocation's explanation (total remaining demand, number of
    firms, volume shared): desk and agency. A member sees its own numbers only."""
    return reads_contracts(user)


def answers_allocations(user) -> bool:
    """Confirms or declines its own firm's shares: a member firm's user."""
    return _signed_in(user) and user.is_member and bool(user.organisation_id)


def answers_for(user, allocation: Allocation) -> bool:
    """``user`` answers for this share: it belongs to the firm the share was allocated to."""
    return answers_allocations(user) and user.organisation_id == allocation.organisation_id


def capabilities(user) -> dict[str, bool]:
    """``can.contracts.<flag>`` in templates (rohstoff.core.capabilities)."""
    return {
        "read": reads_contracts(user),
        "write": writes_contracts(user),
        "read_totals": reads_book_totals(user),
        "read_firm_shares": reads_firm_shares(user),
        "answer_allocations": answers_allocations(user),
    }


# ---- scoped querysets: what a user may see -------------------------------------------------


def contracts_visible_to(user) -> QuerySet[OfftakeContract]:
    if not reads_contracts(user):
        return OfftakeContract.objects.none()
    return OfftakeContract.objects.select_related(
        "counterparty", "material", "round", "index", "project"
    )


def counterparties_visible_to(user) -> QuerySet[Counterparty]:
    if not reads_contracts(user):
        return Counterparty.objects.none()
    return Counterparty.objects.annotate(contract_count=Count("contracts"))


def deliveries_visible_to(user) -> QuerySet[Delivery]:
    if not reads_contracts(user):
        return Delivery.objects.none()
    return Delivery.objects.select_related("contract", "contract__counterparty")


def documents_visible_to(user) -> QuerySet[ContractDocument]:
    return ContractDocument.objects.filter(contract__in=contracts_visible_to(user).values("pk"))


def indices_visible_to(user) -> QuerySet[PriceIndex]:
    if not reads_contracts(user):
        return PriceIndex.objects.none()
    return PriceIndex.objects.select_related("material").annotate(last_date=Max("values__date"))


def fx_rates_visible_to(user) -> QuerySet[FxRate]:
    if not reads_contracts(user):
        return FxRate.objects.none()
    return FxRate.objects.all()


def allocation_rounds_visible_to(user) -> QuerySet[AllocationRound]:
    """Desk: every allocation round, drafts included. Agency: the released and closed ones (their
    quarter totals, ``allocation_summary``). Everyone else none."""
    if reads_firm_shares(user):
        return AllocationRound.objects.all()
    if reads_contracts(user):
        return AllocationRound.objects.exclude(state=AllocationRound.State.DRAFT)
    return AllocationRound.objects.none()


def allocations_visible_to(user) -> QuerySet[Allocation]:
    """Desk: every allocation, drafts included. Member: its own firm's released ones. Everyone
    else none: a firm's share and its remaining firm demand are that firm's forward demand, which
    only the trading house (as trustee) and the firm itself see; the agency reads the quarter
    totals of an allocation (``allocation_summary``)."""
    qs = Allocation.objects.select_related(
        "contract", "contract__material", "allocation_round", "organisation"
    )
    if reads_firm_shares(user):
        return qs
    if answers_allocations(user):
        return qs.filter(
            organisation_id=user.organisation_id,
            allocation_round__state__in=AllocationRound.RELEASED_STATES,
        )
    return qs.none()


def members_of(organisation_ids) -> QuerySet[User]:
    """The active users who answer for these firms' shares (told when an allocation is released)."""
    return User.objects.filter(
        organisation_id__in=organisation_ids, role__in=MEMBER_ROLES, is_active=True
    )
