"""REST API of offtake contracts: contracts, schedules, deliveries, prices and allocations.

The trading desk writes; the agency reads contracts, schedules, deliveries and prices; a member
firm reads only its own allocations (and confirms or declines them). Separate input and output
serializers; every write goes through a service.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agency.models import Project
from industry.models import DemandRound
from rohstoff.core.access import CONTRACT_READERS, DESK, MEMBERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_views import FORBIDDEN, NOT_FOUND, UNAUTHORISED
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Material
from rohstoff.core.periods import PeriodError, Quarter

from . import pricing, selectors, services
from .models import (
    AllocationRound,
    ContractState,
    Counterparty,
    Currency,
    Delivery,
    FxRate,
    IndexValue,
    OfftakeContract,
    PriceIndex,
)

BAD_REQUEST = OpenApiResponse(description="Invalid input: `{field: [messages]}`.")
CONFLICT = OpenApiResponse(description="The current state does not allow this change.")
T = {"max_digits": 22, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 4}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-Q[1-4]$", "example": "2027-Q1"})
class QuarterField(serializers.Field):
    """A quarter as ``2027-Q3``."""

    default_error_messages = {"invalid": gettext_lazy("Write a quarter such as 2027-Q1.")}

    def to_representation(self, value):
        return str(Quarter.from_index(value))

    def to_internal_value(self, data):
        try:
            return Quarter.parse(str(data)).index
        except PeriodError:
            self.fail("invalid")


# ---- counterparties --------------------------------------------------------------------------


class CounterpartySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Counterparty
        fields = ["id", "name", "kind", "country", "notes"]


class CounterpartyInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Counterparty._meta.get_field("kind").choices)
    country = serializers.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="Counterparties",
        responses={200: CounterpartySerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One counterparty",
        responses={200: CounterpartySerializer, 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a counterparty (desk)",
        request=CounterpartyInput,
        responses={
            201: CounterpartySerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
        },
    ),
)
class CounterpartyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {"list": CONTRACT_READERS, "retrieve": CONTRACT_READERS, "create": DESK}
    serializer_class = CounterpartySerializer

    def scoped_queryset(self):
        return selectors.counterparties_visible_to(self.request.user).order_by("name")

    def create(self, request):
        data = CounterpartyInput(data=request.data)
        data.is_valid(raise_exception=True)
        counterparty = services.counterparty_save(actor=request.user, **data.validated_data)
        return Response(CounterpartySerializer(counterparty).data, status=status.HTTP_201_CREATED)


# ---- contracts -------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    material = serializers.CharField(source="material.code", read_only=True)
    index = serializers.CharField(
        source="index.code", read_only=True, allow_null=True, default=None
    )
    first_period = QuarterField(source="start_quarter", read_only=True)
    last_period = QuarterField(source="end_quarter", read_only=True)

    class Meta:
        model = OfftakeContract
        fields = [
            "id",
            "reference",
            "counterparty",
            "counterparty_name",
            "round",
            "material",
            "grade",
            "first_period",
            "last_period",
            "annual_volume_t",
            "tolerance_pct",
            "take_or_pay_pct",
            "lot_size_t",
            "incoterm",
            "incoterm_place",
            "currency",
            "price_unit",
            "pricing_type",
            "fixed_price",
            "index",
            "quotational_period",
            "premium",
            "floor",
            "cap",
            "fee_type",
            "fee_value",
            "project",
            "state",
            "signed_on",
            "version",
        ]
        read_only_fields = fields


class ContractInput(serializers.Serializer):
    reference = serializers.CharField(max_length=40)
    counterparty = serializers.PrimaryKeyRelatedField(queryset=Counterparty.objects.all())
    round = serializers.PrimaryKeyRelatedField(queryset=DemandRound.objects.all())
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
    grade = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    first_period = QuarterField(source="start_quarter")
    last_period = QuarterField(source="end_quarter")
    annual_volume_t = serializers.DecimalField(**T)
    tolerance_pct = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("5")
    )
    take_or_pay_pct = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("0")
    )
    lot_size_t = serializers.DecimalField(**T, required=False, default=Decimal("0.001"))
    incoterm = serializers.ChoiceField(choices=OfftakeContract._meta.get_field("incoterm").choices)
    incoterm_place = serializers.CharField(max_length=120)
    currency = serializers.ChoiceField(choices=Currency.choices)
    price_unit = serializers.ChoiceField(choices=["t", "kg"], required=False, default="t")
    pricing_type = serializers.ChoiceField(choices=["fixed", "index"])
    fixed_price = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    index = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PriceIndex.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    quotational_period = serializers.ChoiceField(
        choices=["Q", "Q-1", "M-1"], required=False, allow_blank=True, default=""
    )
    premium = serializers.DecimalField(**MONEY, required=False, default=Decimal("0"))
    floor = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    cap = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    fee_type = serializers.ChoiceField(
        choices=["per_unit", "percent"], required=False, default="percent"
    )
    fee_value = serializers.DecimalField(**MONEY, required=False, default=Decimal("0"))
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), required=False, allow_null=True, default=None
    )


class TransitionInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=ContractState.choices)
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)


class ScheduleRowSerializer(serializers.Serializer):
    period = serializers.CharField()
    quantity_t = serializers.DecimalField(**T)
    delivered_t = serializers.DecimalField(**T)
    status = serializers.ChoiceField(choices=["upcoming", "due", "late", "short", "delivered"])


class ScheduleEntryInput(serializers.Serializer):
    period = QuarterField()
    quantity_t = serializers.DecimalField(**T, min_value=Decimal(0))


class ScheduleInput(serializers.Serializer):
    entries = ScheduleEntryInput(many=True)


class QuarterPriceSerializer(serializers.Serializer):
    period = serializers.CharField()
    price = serializers.DecimalField(**MONEY, allow_null=True)
    back_to_back_price = serializers.DecimalField(**MONEY, allow_null=True)
    currency = serializers.CharField()
    unit = serializers.CharField()
    basis = serializers.CharField(
        allow_null=True, help_text="fixed, index, floor, cap; null when not priced yet"
    )
    index_average = serializers.DecimalField(**MONEY, allow_null=True)
    index_values = serializers.IntegerField()
    missing = serializers.CharField(allow_null=True, help_text="why there is no price yet")


class AllocationRoundSerializer(serializers.ModelSerializer):
    quarters = serializers.SerializerMethodField()

    class Meta:
        model = AllocationRound
        fields = [
            "id",
            "contract",
            "state",
            "respond_by",
            "created_at",
            "released_at",
            "closed_at",
            "quarters",
        ]

    def get_quarters(self, obj) -> list[dict]:
        return [
            {
                "period": str(s["period"]),
                "scheduled_t": str(s["scheduled_t"]),
                "allocated_t": str(s["allocated_t"]),
                "unallocated_t": str(s["surplus_t"]),
                "firms": s["firms"],
                "pending": s["pending"],
            }
            for s in selectors.allocation_summary(obj)
        ]


class ReleaseInput(serializers.Serializer):
    respond_by = serializers.DateTimeField()


def _schedule_payload(contract):
    return [
        {
            "period": str(r["period"]),
            "quantity_t": r["scheduled_t"],
            "delivered_t": r["delivered_t"],
            "status": r["status"],
        }
        for r in selectors.schedule_rows(contract)
    ]


@extend_schema_view(
    list=extend_schema(
        summary="Offtake contracts (desk, agency)",
        responses={200: ContractSerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One offtake contract",
        responses={200: ContractSerializer, 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Create a contract (desk)",
        request=ContractInput,
        responses={201: ContractSerializer, 400: BAD_REQUEST, 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change the terms of a draft or negotiating contract (desk)",
        request=ContractInput(partial=True),
        responses={
            200: ContractSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CONTRACT_READERS,
        "retrieve": CONTRACT_READERS,
        "schedule": CONTRACT_READERS,
        "prices": CONTRACT_READERS,
        "allocation": CONTRACT_READERS,
        "create": DESK,
        "partial_update": DESK,
        "transition": DESK,
        "schedule_set": DESK,
        "schedule_generate": DESK,
        "allocation_preview": DESK,
        "allocation_release": DESK,
    }
    serializer_class = ContractSerializer
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    filterset_fields = ["state", "round"]

    def scoped_queryset(self):
        return selectors.contracts_visible_to(self.request.user).order_by("reference")

    def _contract(self) -> OfftakeContract:
        return selectors.contract_get(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request):
        data = ContractInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_create(actor=request.user, **data.validated_data)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        contract = self._contract()
        data = ContractInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        provided = {
            k: v for k, v in data.validated_data.items() if k in _provided_fields(request.data)
        }
        contract = services.contract_update(contract=contract, actor=request.user, **provided)
        return Response(ContractSerializer(contract).data)

    @extend_schema(
        summary="Move the contract to another state (desk)",
        request=TransitionInput,
        responses={
            200: ContractSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        contract = self._contract()
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_transition(
            contract=contract,
            actor=request.user,
            to_state=data.validated_data["state"],
            signed_on=data.validated_data["signed_on"],
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(
        summary="The delivery schedule with deliveries and status per quarter",
        responses={
            200: ScheduleRowSerializer(many=True),
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def schedule(self, request, pk=None):
        return Response(ScheduleRowSerializer(_schedule_payload(self._contract()), many=True).data)

    @extend_schema(
        summary="Replace the delivery schedule (desk)",
        request=ScheduleInput,
        responses={
            200: ScheduleRowSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @schedule.mapping.put
    def schedule_set(self, request, pk=None):
        contract = self._contract()
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        entries = {}
        for row in data.validated_data["entries"]:
            if row["period"] in entries:
                return Response(
                    {
                        "entries": [
                            _("%(period)s appears twice.")
                            % {"period": Quarter.from_index(row["period"])}
                        ]
                    },
                    status=400,
                )
            entries[row["period"]] = row["quantity_t"]
        services.schedule_set(contract=contract, actor=request.user, entries=entries)
        return Response(ScheduleRowSerializer(_schedule_payload(contract), many=True).data)

    @extend_schema(
        summary="Generate an even schedule from the annual volume (desk)",
        request=None,
        responses={
            200: ScheduleRowSerializer(many=True),
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="schedule/generate")
    def schedule_generate(self, request, pk=None):
        contract = self._contract()
        services.schedule_generate(contract=contract, actor=request.user)
        return Response(ScheduleRowSerializer(_schedule_payload(contract), many=True).data)

    @extend_schema(
        summary="Contract and back-to-back price per scheduled quarter",
        responses={
            200: QuarterPriceSerializer(many=True),
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def prices(self, request, pk=None):
        contract = self._contract()
        quarters = list(contract.schedule.values_list("quarter", flat=True))
        rows = []
        for q, price in selectors.quarter_prices(contract, quarters).items():
            if isinstance(price, pricing.MissingPrice):
                rows.append(
                    {
                        "period": str(Quarter.from_index(q)),
                        "price": None,
                        "back_to_back_price": None,
                        "currency": contract.currency,
                        "unit": contract.price_unit,
                        "basis": None,
                        "index_average": None,
                        "index_values": 0,
                        "missing": "fx_rate" if price.what == "fx" else "index_values",
                    }
                )
            else:
                rows.append(
                    {
                        "period": str(price.quarter),
                        "price": price.price,
                        "back_to_back_price": pricing.back_to_back(
                            price.price, fee_type=contract.fee_type, fee_value=contract.fee_value
                        ),
                        "currency": price.currency,
                        "unit": price.unit,
                        "basis": price.basis,
                        "index_average": price.index_average,
                        "index_values": price.index_values,
                        "missing": None,
                    }
                )
        return Response(QuarterPriceSerializer(rows, many=True).data)

    @extend_schema(
        summary="The contract's latest allocation round with its quarters",
        responses={
            200: AllocationRoundSerializer,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    def allocation(self, request, pk=None):
        contract = self._contract()
        rounds = contract.allocation_rounds.all()
        if not request.user.is_desk:
            rounds = rounds.exclude(state=AllocationRound.State.DRAFT)
        current = rounds.order_by("-created_at").first()
        if current is None:
            return Response({"detail": "Not allocated yet."}, status=status.HTTP_404_NOT_FOUND)
        return Response(AllocationRoundSerializer(current).data)

    @extend_schema(
        summary="Compute (or recompute) the draft allocation (desk)",
        request=None,
        responses={
            201: AllocationRoundSerializer,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="allocation/preview")
    def allocation_preview(self, request, pk=None):
        draft = services.allocation_preview(contract=self._contract(), actor=request.user)
        return Response(AllocationRoundSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Release the draft allocation to the member firms (desk)",
        request=ReleaseInput,
        responses={
            200: AllocationRoundSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="allocation/release")
    def allocation_release(self, request, pk=None):
        contract = self._contract()
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        draft = contract.allocation_rounds.filter(state=AllocationRound.State.DRAFT).first()
        if draft is None:
            raise StateConflict(_("There is no draft allocation to release; compute one first."))
        released = services.allocation_release(
            allocation_round=draft, actor=request.user, respond_by=data.validated_data["respond_by"]
        )
        return Response(AllocationRoundSerializer(released).data)


def _provided_fields(data) -> set[str]:
    mapping = {"first_period": "start_quarter", "last_period": "end_quarter"}
    return {mapping.get(k, k) for k in data}


def _money_str(value):
    return None if value is None else str(pricing.money(value))


# ---- deliveries ------------------------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    period = QuarterField(source="quarter", read_only=True)
    provisional_amount = serializers.SerializerMethodField(
        help_text="quantity x provisional price x provisional_pct, contract currency"
    )
    final_amount = serializers.SerializerMethodField(
        help_text="quantity x final price, contract currency"
    )
    difference = serializers.SerializerMethodField(
        help_text="final minus provisional amount: what the final invoice settles"
    )

    def _amounts(self, obj) -> dict:
        if not hasattr(obj, "_amounts"):
            obj._amounts = pricing.delivery_amounts(obj, obj.contract.price_unit)
        return obj._amounts

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_provisional_amount(self, obj):
        return _money_str(self._amounts(obj)["provisional"])

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_final_amount(self, obj):
        return _money_str(self._amounts(obj)["final"])

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_difference(self, obj):
        return _money_str(self._amounts(obj)["difference"])

    class Meta:
        model = Delivery
        fields = [
            "id",
            "contract",
            "period",
            "delivered_on",
            "quantity_t",
            "assay",
            "provisional_pct",
            "provisional_price",
            "final_price",
            "invoice_state",
            "provisional_amount",
            "final_amount",
            "difference",
            "notes",
        ]
        read_only_fields = fields


class DeliveryInput(serializers.Serializer):
    contract = serializers.IntegerField()
    period = QuarterField(
        source="quarter",
        required=False,
        help_text="the scheduled quarter; default: the quarter of delivered_on",
    )
    delivered_on = serializers.DateField()
    quantity_t = serializers.DecimalField(**T)
    assay = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    provisional_pct = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("90")
    )
    provisional_price = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, default=None
    )
    final_price = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DeliveryUpdate(serializers.Serializer):
    period = QuarterField(source="quarter", required=False)
    delivered_on = serializers.DateField(required=False)
    quantity_t = serializers.DecimalField(**T, required=False)
    assay = serializers.CharField(max_length=200, required=False, allow_blank=True)
    provisional_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    provisional_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    final_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="Deliveries (desk, agency); filter with ?contract=",
        responses={200: DeliverySerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One delivery",
        responses={200: DeliverySerializer, 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Record a delivery (desk)",
        request=DeliveryInput,
        responses={
            201: DeliverySerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    ),
    partial_update=extend_schema(
        summary="Correct a delivery or enter its final price (desk)",
        request=DeliveryUpdate,
        responses={
            200: DeliverySerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CONTRACT_READERS,
        "retrieve": CONTRACT_READERS,
        "create": DESK,
        "partial_update": DESK,
    }
    serializer_class = DeliverySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["contract"]

    def scoped_queryset(self):
        return selectors.deliveries_visible_to(self.request.user).order_by(
            "contract_id", "delivered_on", "pk"
        )

    def create(self, request):
        data = DeliveryInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contract = selectors.contract_get(user=request.user, pk=values.pop("contract"))
        delivery = services.delivery_record(contract=contract, actor=request.user, **values)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        data = DeliveryUpdate(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        delivery = services.delivery_update(
            delivery=delivery, actor=request.user, **data.validated_data
        )
        return Response(DeliverySerializer(delivery).data)


# ---- prices ----------------------------------------------------------------------------------


class PriceIndexSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())

    class Meta:
        model = PriceIndex
        fields = ["id", "code", "name", "provider", "material", "currency", "unit"]


class IndexValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndexValue
        fields = ["date", "value"]


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["currency", "date", "per_eur"]


class FxRateInput(serializers.Serializer):
    """Not the model serializer: its unique-together check on (currency, date) would refuse the
    correction of a day's rate, which the service allows."""

    currency = serializers.ChoiceField(choices=Currency.choices)
    date = serializers.DateField()
    per_eur = serializers.DecimalField(max_digits=16, decimal_places=6)


@extend_schema_view(
    list=extend_schema(
        summary="Price indices",
        responses={200: PriceIndexSerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One price index",
        responses={200: PriceIndexSerializer, 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a price index (desk)",
        request=PriceIndexSerializer,
        responses={201: PriceIndexSerializer, 400: BAD_REQUEST, 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
)
class PriceIndexViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CONTRACT_READERS,
        "retrieve": CONTRACT_READERS,
        "values": CONTRACT_READERS,
        "create": DESK,
        "value_set": DESK,
    }
    serializer_class = PriceIndexSerializer

    def scoped_queryset(self):
        return selectors.indices_visible_to(self.request.user).order_by("code")

    def create(self, request):
        data = PriceIndexSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        index = services.index_create(actor=request.user, **data.validated_data)
        return Response(PriceIndexSerializer(index).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The index's values, newest first",
        responses={
            200: IndexValueSerializer(many=True),
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    def values(self, request, pk=None):
        index = selectors.index_get(user=request.user, pk=pk)
        page = self.paginate_queryset(IndexValue.objects.filter(index=index).order_by("-date"))
        return self.get_paginated_response(IndexValueSerializer(page, many=True).data)

    @extend_schema(
        summary="Enter (or correct) the value of one day (desk)",
        request=IndexValueSerializer,
        responses={
            201: IndexValueSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @values.mapping.post
    def value_set(self, request, pk=None):
        index = selectors.index_get(user=request.user, pk=pk)
        data = IndexValueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        value = services.index_value_set(actor=request.user, index=index, **data.validated_data)
        return Response(IndexValueSerializer(value).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="FX rates (units of a currency per EUR), newest first",
        responses={200: FxRateSerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    create=extend_schema(
        summary="Enter (or correct) a rate (desk)",
        request=FxRateInput,
        responses={201: FxRateSerializer, 400: BAD_REQUEST, 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
)
class FxRateViewSet(mixins.ListModelMixin, ScopedViewSet):
    access_policies = {"list": CONTRACT_READERS, "create": DESK}
    serializer_class = FxRateSerializer
    filterset_fields = ["currency"]

    def scoped_queryset(self):
        return selectors.fx_rates_visible_to(self.request.user).order_by("-date", "currency")

    def create(self, request):
        data = FxRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rate = services.fx_rate_set(actor=request.user, **data.validated_data)
        return Response(FxRateSerializer(rate).data, status=status.HTTP_201_CREATED)


# ---- allocations -----------------------------------------------------------------------------


class AllocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contract = serializers.IntegerField(source="contract_id")
    contract_reference = serializers.CharField(source="contract.reference")
    material = serializers.CharField(source="contract.material.code")
    period = QuarterField(source="quarter")
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    requested_t = serializers.DecimalField(
        **T, help_text="remaining firm demand when the share was computed"
    )
    computed_t = serializers.DecimalField(**T)
    quantity_t = serializers.DecimalField(**T)
    redistributed_t = serializers.DecimalField(**T)
    state = serializers.CharField()
    deemed_confirmed = serializers.BooleanField()
    override_reason = serializers.CharField()
    respond_by = serializers.DateTimeField(source="allocation_round.respond_by", allow_null=True)
    released = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField(
        help_text="How the share was computed. Members get their own numbers and the fill rate of their demand; "
        "the pooled demand of all firms, their number and the volume shared are for the desk only."
    )

    def get_released(self, obj) -> bool:
        return obj.allocation_round.state != AllocationRound.State.DRAFT

    def get_explanation(self, obj) -> dict:
        return selectors.explanation_for(self.context["request"].user, obj)


class OverrideInput(serializers.Serializer):
    quantity_t = serializers.DecimalField(**T)
    reason = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(
        summary="Allocations: a member sees its own firm's released shares; the desk all",
        responses={200: AllocationSerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One allocation with how it was computed",
        responses={200: AllocationSerializer, 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": MEMBERS | DESK,
        "retrieve": MEMBERS | DESK,
        "confirm": MEMBERS,
        "decline": MEMBERS,
        "override": DESK,
    }
    serializer_class = AllocationSerializer
    filterset_fields = ["contract", "state"]

    def scoped_queryset(self):
        return selectors.allocations_visible_to(self.request.user).order_by(
            "contract_id", "quarter", "organisation_id"
        )

    def _respond(self, request, pk, accept):
        allocation = selectors.allocation_get(user=request.user, pk=pk)
        allocation = services.allocation_respond(
            allocation=allocation, actor=request.user, accept=accept
        )
        allocation = selectors.allocation_get(user=request.user, pk=allocation.pk)
        return Response(AllocationSerializer(allocation, context={"request": request}).data)

    @extend_schema(
        summary="Confirm your firm's share (member, by the deadline)",
        request=None,
        responses={
            200: AllocationSerializer,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._respond(request, pk, True)

    @extend_schema(
        summary="Decline your firm's share (member, by the deadline); it goes to the firms that have not answered",
        request=None,
        responses={
            200: AllocationSerializer,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._respond(request, pk, False)

    @extend_schema(
        summary="Override a firm's share with a reason (desk)",
        request=OverrideInput,
        responses={
            200: AllocationSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORISED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        allocation = selectors.allocation_get(user=request.user, pk=pk)
        data = OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.allocation_override(
            allocation=allocation, actor=request.user, **data.validated_data
        )
        return Response(
            AllocationSerializer(
                selectors.allocation_get(user=request.user, pk=pk), context={"request": request}
            ).data
        )
