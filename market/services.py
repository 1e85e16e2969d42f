"""Writes of the market: supplier links, calls for offers and offers. Keyword-only functions,
atomic, audit-logged; side effects (mails) run after commit. ``ValidationError`` for bad input
(400 in the API), ``StateConflict`` when the state forbids the change (409). The rules are stated
in docs/suppliers.md."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Counterparty, OfftakeContract, PricingType
from contracts.offtakes.services import contract_check
from industry.models import DemandLine, DemandRound
from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.documents import document_check
from rohstoff.core.errors import StateConflict
from rohstoff.core.mail import absolute_url, mail_enqueue
from rohstoff.core.models import Organisation, OrganisationKind, Role, User
from tradinghouse.models import PositionSet

from .models import Call, Offer, OfferDocument, OfferQuarter, OfferState, SupplierLink

MAX_TEXT = 5000  # terms, specifications, ESG text
MAX_QUARTERS = 40  # quarters in one offer
MAX_DOCUMENTS = 10  # documents attached to one offer

# The fields of an offer a supplier sets, in the order the form and the API show them: the one
# list the service accepts, the form edits, the API writes out and the audit trail records.
OFFER_FIELDS = [
    "material",
    "minimum_t",
    "pricing_type",
    "fixed_price",
    "index",
    "quotational_period",
    "premium",
    "floor",
    "cap",
    "currency",
    "price_unit",
    "incoterm",
    "incoterm_place",
    "origin_country",
    "origin_stage",
    "esg",
]


# ---- suppliers -------------------------------------------------------------------------------


@transaction.atomic
def supplier_link_save(
    *,
    actor,
    organisation: Organisation,
    counterparty: Counterparty,
    member_group: Organisation | None = None,
) -> SupplierLink:
    """Link a supplier organisation to the counterparty it trades as (one each way), optionally
    naming the member firm of its group (the buyer-or-seller rule, docs/suppliers.md)."""
    errors = {}
    if organisation.kind != OrganisationKind.SUPPLIER:
        errors["organisation"] = _("Only a supplier organisation can be linked to a counterparty.")
    if member_group is not None and member_group.kind != OrganisationKind.MEMBER:
        errors["member_group"] = _("The group's firm must be a member firm.")
    clash = SupplierLink.objects.filter(counterparty=counterparty).exclude(
        organisation=organisation
    )
    if clash.exists():
        errors["counterparty"] = _("This counterparty is linked to another supplier already.")
    if errors:
        raise ValidationError(errors)
    link = SupplierLink.objects.filter(organisation=organisation).first()
    before = snapshot(link, ["counterparty", "member_group"]) if link else None
    if link and (link.counterparty_id, link.member_group_id) == (
        counterparty.pk,
        getattr(member_group, "pk", None),
    ):
        return link  # nothing changes: no write, no audit event
    link = link or SupplierLink(organisation=organisation)
    link.counterparty, link.member_group = counterparty, member_group
    link.save()
    audit_record(
        actor=actor,
        action="supplier_link.update" if before else "supplier_link.create",
        obj=link,
        organisation=organisation,
        before=before,
        after=snapshot(link, ["counterparty", "member_group"]),
    )
    return link


def buyer_or_seller_problem(*, organisation: Organisation, round: DemandRound) -> str:
    """Why ``organisation`` may not offer in a call on ``round`` ('' when it may): it is not a
    linked supplier, or it belongs to the group of a member firm that has demand in the round.
    A party is buyer or seller in a round, never both (docs/suppliers.md)."""
    if organisation.kind != OrganisationKind.SUPPLIER or not organisation.is_active:
        return _("Only a supplier can make offers.")
    link = SupplierLink.objects.filter(organisation=organisation).first()
    if link is None:
        return _("Your organisation is not yet linked to a counterparty of the trading house.")
    if (
        link.member_group_id
        and DemandLine.objects.filter(round=round, organisation_id=link.member_group_id).exists()
    ):
        return _(
            "Your group buys in this round through a member firm; a party is either buyer or seller in a round, so you cannot offer."
        )
    return ""


# ---- calls -----------------------------------------------------------------------------------


def addressable_suppliers():
    """The supplier organisations a call can go to: active and linked to a counterparty."""
    return Organisation.objects.filter(
        kind=OrganisationKind.SUPPLIER, is_active=True, supplier_link__isnull=False
    ).order_by("name")


def published_position_set(round: DemandRound) -> PositionSet | None:
    return (
        PositionSet.objects.filter(round=round, is_current=True, published_at__isnull=False)
        .order_by("-published_at")
        .first()
    )


def _bounded(value: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": MAX_TEXT}})
    return value


@transaction.atomic
def call_open(
    *,
    actor,
    round: DemandRound,
    title: str,
    deadline: datetime.datetime,
    terms: str,
    specifications: str = "",
    diversification_limit: Decimal = Decimal("0.65"),
    addressees=None,
) -> Call:
    """Open a call for offers on ``round``'s published positions, addressed to ``addressees``
    (supplier organisations linked to a counterparty; None: every such supplier), and mail
    their people (a link and the deadline only: the figures are on the call's sheet, through
    disclosure)."""
    position_set = published_position_set(round)
    if position_set is None:
        raise StateConflict(_("The round's positions are not published yet."))
    linked = addressable_suppliers()
    if addressees is None:
        addressees = list(linked)
    else:
        addressees = list(addressees)
        allowed = set(linked.values_list("pk", flat=True))
        if not addressees or any(org.pk not in allowed for org in addressees):
            raise ValidationError(
                {"addressees": _("Choose one or more suppliers linked to a counterparty.")}
            )
    if not addressees:
        raise ValidationError(
            {
                "addressees": _(
                    "No supplier is linked to a counterparty yet; there is nobody to ask."
                )
            }
        )
    title = _bounded(title, "title", required=True)[:200]
    terms = _bounded(terms, "terms", required=True)
    specifications = _bounded(specifications, "specifications")
    if deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must lie in the future.")})
    if not (Decimal("0.01") <= diversification_limit <= Decimal("1")):
        raise ValidationError(
            {"diversification_limit": _("The limit lies between 0.01 and 1 (1 = no limit).")}
        )
    call = Call.objects.create(
        round=round,
        position_set=position_set,
        title=title,
        deadline=deadline,
        terms=terms,
        specifications=specifications,
        diversification_limit=diversification_limit,
        opened_by=actor,
    )
    call.addressees.set(addressees)
    audit_record(
        actor=actor,
        action="call.open",
        obj=call,
        after={
            **snapshot(
                call, ["round", "position_set", "title", "deadline", "diversification_limit"]
            ),
            "addressees": sorted(org.pk for org in addressees),
        },
    )
    recipients = User.objects.filter(
        is_active=True,
        role=Role.SUPPLIER,
        organisation__in=addressees,
    ).order_by("pk")
    mail_enqueue(
        template="market/email/call_opened",
        to=recipients,
        context={
            "call": call,
            "deadline": call.deadline,
            "url": absolute_url("market:call", call.pk),
        },
    )
    Call.objects.filter(pk=call.pk).update(notice_sent_at=timezone.now())
    return call


# ---- offers ----------------------------------------------------------------------------------


def _check_open(call: Call) -> None:
    if not call.accepts_offers():
        raise StateConflict(
            _(
                "The call closed on its deadline; offers can no longer be made, changed or withdrawn."
            )
        )


def _check_offer(call: Call, data: dict, quarters: dict[int, Decimal]) -> None:
    """The offer's rules, the pricing ones through the contracts' own check (one pricing model):
    ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    material = data.get("material")
    if material is None or not call.round.materials.filter(pk=material.pk).exists():
        errors.setdefault("material", []).append(_("The call does not ask for this material."))
    if not quarters:
        errors.setdefault("quarters", []).append(_("Offer a volume for at least one quarter."))
    elif len(quarters) > MAX_QUARTERS:
        errors.setdefault("quarters", []).append(
            _("At most %(limit)s quarters.") % {"limit": MAX_QUARTERS}
        )
    outside = sorted(
        q for q in quarters if not call.round.first_quarter <= q <= call.round.last_quarter
    )
    if outside:
        errors.setdefault("quarters", []).append(
            _("%(periods)s lie outside the round's delivery window %(first)s to %(last)s.")
            % {
                "periods": ", ".join(str(OfferQuarter(quarter=q).period) for q in outside),
                "first": call.round.first_period,
                "last": call.round.last_period,
            }
        )
    for q, volume in sorted(quarters.items()):
        try:
            OfferQuarter(quarter=q, volume_t=volume).clean_fields(exclude=["offer"])
        except ValidationError as exc:
            errors.setdefault("quarters", []).extend(exc.messages)
        if volume <= 0:
            errors.setdefault("quarters", []).append(_("Each volume must be more than zero."))
    total = sum(quarters.values(), Decimal(0))
    minimum = data.get("minimum_t") or Decimal(0)
    if minimum < 0:
        errors.setdefault("minimum_t", []).append(_("The minimum cannot be negative."))
    elif quarters and minimum > total:
        errors.setdefault("minimum_t", []).append(
            _("The minimum volume is more than the volume offered.")
        )
    if errors:
        raise ValidationError(errors)
    # The contracts' pricing rule: a contract with the offer's price terms must pass it.
    terms = OfftakeContract(
        round=call.round,
        material=material,
        start_quarter=min(quarters),
        end_quarter=max(quarters),
        **{
            k: data.get(k)
            for k in ("pricing_type", "fixed_price", "index", "quotational_period", "floor", "cap")
        },
        premium=data.get("premium") or Decimal(0),
    )
    if terms.pricing_type not in PricingType.values:
        raise ValidationError({"pricing_type": _("Choose fixed or index-linked.")})
    contract_check(terms)


def _apply(offer: Offer, data: dict) -> None:
    for name, value in data.items():
        if name not in OFFER_FIELDS:
            raise ValidationError({name: _("This field cannot be set here.")})
        setattr(offer, name, value)
    offer.esg = _bounded(offer.esg, "esg")
    offer.minimum_t = offer.minimum_t or Decimal(0)
    offer.premium = offer.premium or Decimal(0)
    offer.quotational_period = offer.quotational_period or ""
    if offer.pricing_type == PricingType.FIXED:
        offer.index, offer.quotational_period = None, ""
    elif offer.pricing_type == PricingType.INDEX:
        offer.fixed_price = None


@transaction.atomic
def offer_save(
    *,
    actor,
    call: Call,
    quarters: dict[int, Decimal],
    offer: Offer | None = None,
    **data,
) -> Offer:
    """Make (``offer`` None) or revise an offer of the actor's organisation until the deadline."""
    call = Call.objects.select_for_update().select_related("round").get(pk=call.pk)
    _check_open(call)
    problem = buyer_or_seller_problem(organisation=actor.organisation, round=call.round)
    if problem:
        raise ValidationError(problem)
    if not call.addressees.filter(pk=actor.organisation_id).exists():
        raise ValidationError(_("This call is not addressed to your organisation."))
    if offer is not None:
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.supplier_id != actor.organisation_id or offer.call_id != call.pk:
            raise ValidationError(_("This is not your offer."))
        if offer.state == OfferState.WITHDRAWN:
            raise StateConflict(_("A withdrawn offer cannot be revised; make a new one."))
    _check_offer(call, data, quarters)
    before = None
    if offer is not None:
        before = {**snapshot(offer, OFFER_FIELDS), "quarters": _quarters_of(offer)}
    offer = offer or Offer(call=call, supplier=actor.organisation, submitted_by=actor)
    _apply(offer, data)
    offer.full_clean(exclude=["call", "supplier", "submitted_by"])
    if before is not None:
        offer.version += 1
        # A revision is a new submission: it goes behind offers made in the meantime on ties.
        offer.submitted_at = timezone.now()
    offer.save()
    offer.quarters.all().delete()
    OfferQuarter.objects.bulk_create(
        OfferQuarter(offer=offer, quarter=q, volume_t=v) for q, v in sorted(quarters.items())
    )
    after = {**snapshot(offer, OFFER_FIELDS), "quarters": _quarters_of(offer)}
    audit_record(
        actor=actor,
        action="offer.update" if before else "offer.create",
        obj=offer,
        before=before,
        after=after,
    )
    return offer


def _quarters_of(offer: Offer) -> dict[str, str]:
    return {str(q.period): str(q.volume_t) for q in OfferQuarter.objects.filter(offer=offer)}


@transaction.atomic
def offer_withdraw(*, actor, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().select_related("call").get(pk=offer.pk)
    _check_open(offer.call)
    if offer.supplier_id != actor.organisation_id:
        raise ValidationError(_("This is not your offer."))
    if offer.state == OfferState.WITHDRAWN:
        return offer
    offer.state = OfferState.WITHDRAWN
    offer.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="offer.withdraw", obj=offer, after={"state": offer.state})
    return offer


@transaction.atomic
def offer_document_add(*, actor, offer: Offer, upload) -> OfferDocument:
    """Attach an ESG credential; the file is checked like every upload (rohstoff.core.documents)."""
    offer = Offer.objects.select_for_update().select_related("call").get(pk=offer.pk)
    _check_open(offer.call)
    if offer.supplier_id != actor.organisation_id:
        raise ValidationError(_("This is not your offer."))
    if offer.documents.count() >= MAX_DOCUMENTS:
        raise ValidationError(
            {"file": _("At most %(limit)s documents per offer.") % {"limit": MAX_DOCUMENTS}}
        )
    checked = document_check(upload)
    document = OfferDocument(
        offer=offer,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document.file.save(checked.storage_name(f"offer-{offer.pk}"), upload, save=False)
    document.save()
    audit_record(
        actor=actor,
        action="offer.document",
        obj=offer,
        after={"document": document.pk, "sha256": checked.sha256},
    )
    return document
