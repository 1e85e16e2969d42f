"""Who may see and do what in the market: the one place in ``market`` that reads a user's role.
Selectors, views and the API ask this module; templates ask ``can.market.<flag>``.

The rules (docs/suppliers.md): the trading desk opens calls, reads every offer, runs and adjusts
the matching and turns matches into draft contracts. A supplier reads the calls (their disclosed
aggregate sheet only), its own organisation's offers and its own results, and nothing of another
supplier. The agency reads the desk's view without changing it; the ministry reads the call
dashboards through disclosure. Members see nothing of the market. Any other role: nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from rohstoff.core.models import Role

from .models import Call, MatchAllocation, Offer, OfferResult


def _role(user) -> str | None:
    if not (user is not None and getattr(user, "is_authenticated", False)):
        return None
    return user.role or None


def runs_market(user) -> bool:
    """Opens calls, runs and adjusts the matching, makes draft contracts: the desk."""
    return _role(user) == Role.TRADING_DESK


def reads_all_offers(user) -> bool:
    """Every offer and every match (the desk; the agency reads along)."""
    return _role(user) in (Role.TRADING_DESK, Role.AGENCY_ANALYST, Role.AGENCY_APPROVER)


def is_supplier(user) -> bool:
    return _role(user) == Role.SUPPLIER and bool(user.organisation_id)


def reads_public_dashboard(user) -> bool:
    """The call dashboard through disclosure (disclosed cells only): the ministry."""
    return _role(user) == Role.MINISTRY_VIEWER


def reads_calls(user) -> bool:
    return reads_all_offers(user) or is_supplier(user) or reads_public_dashboard(user)


def capabilities(user) -> dict[str, bool]:
    return {
        "run": runs_market(user),
        "read_offers": reads_all_offers(user),
        "offer": is_supplier(user),
    }


def calls_visible_to(user) -> QuerySet[Call]:
    """A supplier sees the calls addressed to its organisation only; the desk, the agency and
    the ministry every call."""
    if is_supplier(user):
        return Call.objects.filter(addressees=user.organisation_id)
    if reads_calls(user):
        return Call.objects.all()
    return Call.objects.none()


def offers_visible_to(user) -> QuerySet[Offer]:
    if reads_all_offers(user):
        return Offer.objects.all()
    if is_supplier(user):
        return Offer.objects.filter(supplier_id=user.organisation_id)
    return Offer.objects.none()


def results_visible_to(user) -> QuerySet[OfferResult]:
    if reads_all_offers(user):
        return OfferResult.objects.all()
    if is_supplier(user):
        return OfferResult.objects.filter(offer__supplier_id=user.organisation_id)
    return OfferResult.objects.none()


def allocations_visible_to(user) -> QuerySet[MatchAllocation]:
    if reads_all_offers(user):
        return MatchAllocation.objects.all()
    if is_supplier(user):
        return MatchAllocation.objects.filter(offer__supplier_id=user.organisation_id)
    return MatchAllocation.objects.none()
