"""REST API of the market: calls (their sheet through disclosure), offers (a supplier's own) and
match results (the desk all, a supplier its own). Separate input and output serializers; every
write goes through a service; objects outside the caller's scope answer 404."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts.models import Incoterm, PriceIndex, PriceUnit, PricingType, QuotationalPeriod
from industry.models import DemandRound
from rohstoff.core.access import AGENCY, DESK, MINISTRY, SUPPLIERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.models import Material, Organisation, OrganisationKind
from rohstoff.core.money import Currency
from rohstoff.core.openapi import with_errors
from rohstoff.core.periods import PeriodError, Quarter

from . import policy, runs, selectors, services
from .matching import explain
from .models import Call, MatchAllocation, Offer, OfferResult, OriginStage

CALL_READERS = DESK | AGENCY | MINISTRY | SUPPLIERS
OFFER_READERS = DESK | AGENCY | SUPPLIERS
T = {"max_digits": 22, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 4}


# ---- calls -------------------------------------------------------------------------------------


class SheetCellSerializer(serializers.Serializer):
    material = serializers.CharField(source="material.code")
    period = serializers.CharField()
    disclosed = serializers.BooleanField()
    demand_t = StrictDecimalField(**T, allow_null=True, help_text="null where not disclosed")


class CallSerializer(serializers.ModelSerializer):
    accepts_offers = serializers.BooleanField()
    diversification_limit = StrictDecimalField(max_digits=5, decimal_places=4)

    class Meta:
        model = Call
        fields = [
            "id",
            "title",
            "deadline",
            "terms",
            "specifications",
            "diversification_limit",
            "state",
            "accepts_offers",
        ]
        read_only_fields = fields


class CallDetailSerializer(CallSerializer):
    cells = SheetCellSerializer(many=True)

    class Meta(CallSerializer.Meta):
        fields = CallSerializer.Meta.fields + ["cells"]
        read_only_fields = fields


class CallInput(serializers.Serializer):
    round = serializers.PrimaryKeyRelatedField(queryset=DemandRound.objects.all())
    title = serializers.CharField(max_length=200)
    deadline = serializers.DateTimeField()
    terms = serializers.CharField(max_length=services.MAX_TEXT)
    specifications = serializers.CharField(
        max_length=services.MAX_TEXT, required=False, allow_blank=True, default=""
    )
    diversification_limit = StrictDecimalField(
        max_digits=5, decimal_places=4, required=False, default=Decimal("0.65")
    )
    addressees = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Organisation.objects.filter(kind=OrganisationKind.SUPPLIER),
        help_text="Supplier organisations the call goes to; all linked suppliers when left out.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="Calls for offers", responses=with_errors(CallSerializer(many=True))
    ),
    retrieve=extend_schema(
        summary="One call with its sheet (disclosed cells only for suppliers and the ministry)",
        responses=with_errors(CallDetailSerializer, 404),
    ),
    create=extend_schema(
        summary="Open a call for offers (desk)",
        request=CallInput,
        responses=with_errors(CallDetailSerializer, 400, 409, ok_status=201),
    ),
    match=extend_schema(
        summary="Match the call after its deadline (desk; safe to repeat)",
        request=None,
        responses=with_errors(CallSerializer, 404, 409),
    ),
)
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CALL_READERS,
        "retrieve": CALL_READERS,
        "create": DESK,
        "match": DESK,
    }
    serializer_class = CallSerializer

    def scoped_queryset(self):
        return policy.calls_visible_to(self.request.user).order_by("-opened_at", "-pk")

    def _detail(self, call):
        call.cells = selectors.call_sheet(user=self.request.user, call=call)
        return CallDetailSerializer(call).data

    def retrieve(self, request, pk=None):
        return Response(self._detail(selectors.call_get(user=request.user, pk=pk)))

    def create(self, request):
        data = CallInput(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_open(actor=request.user, **data.validated_data)
        return Response(self._detail(call), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        call = selectors.call_get(user=request.user, pk=pk)
        runs.match_run(call_id=call.pk)
        call.refresh_from_db()
        return Response(CallSerializer(call).data)


# ---- offers ------------------------------------------------------------------------------------


class OfferQuarterSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="A quarter, e.g. 2027-Q1")
    volume_t = StrictDecimalField(**T)


class OfferSerializer(serializers.ModelSerializer):
    call = serializers.PrimaryKeyRelatedField(read_only=True)
    material = serializers.CharField(source="material.code")
    index = serializers.CharField(source="index.code", allow_null=True, default=None)
    origin_country = serializers.CharField(source="origin_country.code")
    quarters = serializers.SerializerMethodField()
    quotational_period = serializers.ChoiceField(
        choices=QuotationalPeriod.choices, allow_blank=True, read_only=True
    )
    minimum_t = StrictDecimalField(**T)
    fixed_price = StrictDecimalField(**MONEY, allow_null=True)
    premium = StrictDecimalField(**MONEY)
    floor = StrictDecimalField(**MONEY, allow_null=True)
    cap = StrictDecimalField(**MONEY, allow_null=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "call",
            "material",
            "quarters",  # after the material, before the terms
            *(name for name in services.OFFER_FIELDS if name != "material"),
            "state",
            "version",
            "submitted_at",
        ]
        read_only_fields = fields

    def get_quarters(self, obj) -> list[dict]:
        return [{"period": str(q.period), "volume_t": str(q.volume_t)} for q in obj.quarters.all()]


class OfferInput(serializers.Serializer):
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
    quarters = OfferQuarterSerializer(many=True, max_length=services.MAX_QUARTERS)
    minimum_t = StrictDecimalField(**T, required=False, default=Decimal(0))
    pricing_type = serializers.ChoiceField(choices=PricingType.choices)
    fixed_price = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    index = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PriceIndex.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    quotational_period = serializers.ChoiceField(
        choices=QuotationalPeriod.choices, required=False, allow_blank=True, default=""
    )
    premium = StrictDecimalField(**MONEY, required=False, default=Decimal(0))
    floor = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    cap = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    currency = serializers.ChoiceField(choices=Currency.choices)
    price_unit = serializers.ChoiceField(choices=PriceUnit.choices, required=False, default="t")
    incoterm = serializers.ChoiceField(choices=Incoterm.choices)
    incoterm_place = serializers.CharField(max_length=120)
    origin_country = serializers.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    origin_stage = serializers.ChoiceField(choices=OriginStage.choices)
    esg = serializers.CharField(
        max_length=services.MAX_TEXT, required=False, allow_blank=True, default=""
    )

    def validate_quarters(self, value):
        quarters = {}
        for item in value:
            try:
                q = Quarter.parse(item["period"]).index
            except PeriodError as exc:
                raise serializers.ValidationError(str(exc)) from None
            if q in quarters:
                raise serializers.ValidationError(f"{item['period']} given twice")
            quarters[q] = item["volume_t"]
        return quarters


class NewOfferInput(OfferInput):
    call = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="Offers (a supplier's own; the desk and the agency every offer)",
        responses=with_errors(OfferSerializer(many=True)),
    ),
    retrieve=extend_schema(summary="One offer", responses=with_errors(OfferSerializer, 404)),
    create=extend_schema(
        summary="Make an offer (supplier)",
        request=NewOfferInput,
        responses=with_errors(OfferSerializer, 400, 409, ok_status=201),
    ),
    update=extend_schema(
        summary="Revise an offer until the deadline (supplier)",
        request=OfferInput,
        responses=with_errors(OfferSerializer, 400, 404, 409),
    ),
    withdraw=extend_schema(
        summary="Withdraw an offer until the deadline (supplier)",
        request=None,
        responses=with_errors(OfferSerializer, 404, 409),
    ),
)
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": OFFER_READERS,
        "retrieve": OFFER_READERS,
        "create": SUPPLIERS,
        "update": SUPPLIERS,
        "withdraw": SUPPLIERS,
    }
    serializer_class = OfferSerializer

    def scoped_queryset(self):
        qs = (
            policy.offers_visible_to(self.request.user)
            .select_related("material", "index")
            .prefetch_related("quarters")
            .order_by("pk")
        )
        call = self.request.query_params.get("call", "")
        if call.isdigit():
            qs = qs.filter(call_id=int(call))
        return qs

    def create(self, request):
        data = NewOfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        call = selectors.call_get(user=request.user, pk=values.pop("call"))
        offer = services.offer_save(
            actor=request.user, call=call, quarters=values.pop("quarters"), **values
        )
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        offer = selectors.offer_get(user=request.user, pk=pk)
        data = OfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        offer = services.offer_save(
            actor=request.user,
            call=offer.call,
            offer=offer,
            quarters=values.pop("quarters"),
            **values,
        )
        return Response(OfferSerializer(offer).data)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        offer = selectors.offer_get(user=request.user, pk=pk)
        offer = services.offer_withdraw(actor=request.user, offer=offer)
        return Response(OfferSerializer(offer).data)


# ---- matches -----------------------------------------------------------------------------------


class MatchAllocationSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    quantity_t = StrictDecimalField(**T)

    class Meta:
        model = MatchAllocation
        fields = ["period", "quantity_t"]
        read_only_fields = fields

    def get_period(self, obj) -> str:
        return str(obj.period)


class MatchSerializer(serializers.ModelSerializer):
    call = serializers.IntegerField(source="run.call_id")
    summary = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    allocations = MatchAllocationSerializer(many=True, source="offer_allocations")
    offered_t = StrictDecimalField(**T)
    matched_t = StrictDecimalField(**T)
    contract = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = OfferResult
        fields = [
            "id",
            "call",
            "offer",
            "status",
            "offered_t",
            "matched_t",
            "summary",
            "reasons",
            "allocations",
            "contract",
        ]
        read_only_fields = fields

    def _outcome(self, obj):
        return selectors._outcome(obj)

    def get_summary(self, obj) -> str:
        return explain.summary(self._outcome(obj))

    def get_reasons(self, obj) -> list[str]:
        audience = self.context.get("audience", explain.SUPPLIER)
        return explain.describe(self._outcome(obj), audience=audience)


@extend_schema_view(
    list=extend_schema(
        summary="Match results of current runs (a supplier's own; the desk every one)",
        responses=with_errors(MatchSerializer(many=True)),
    ),
    retrieve=extend_schema(summary="One match result", responses=with_errors(MatchSerializer, 404)),
)
class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {"list": OFFER_READERS, "retrieve": OFFER_READERS}
    serializer_class = MatchSerializer

    def scoped_queryset(self):
        return (
            policy.results_visible_to(self.request.user)
            .filter(run__is_current=True)
            .select_related("run", "offer")
            .order_by("pk")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["audience"] = (
            explain.DESK if policy.reads_all_offers(self.request.user) else explain.SUPPLIER
        )
        return context

    def get_serializer(self, *args, **kwargs):
        """Each result's allocations, read for the whole page in one query."""
        items = args[0] if args else None
        if items is not None:
            single = isinstance(items, OfferResult)
            rows = [items] if single else list(items)
            by_key = {}
            for a in MatchAllocation.objects.filter(
                run_id__in={r.run_id for r in rows}, offer_id__in={r.offer_id for r in rows}
            ).order_by("quarter"):
                by_key.setdefault((a.run_id, a.offer_id), []).append(a)
            for r in rows:
                r.offer_allocations = by_key.get((r.run_id, r.offer_id), [])
            if not single:
                args = (rows, *args[1:])
        return super().get_serializer(*args, **kwargs)
