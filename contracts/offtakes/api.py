"""REST API of offtake contracts and their delivery schedules: separate input and output
serializers; every write goes through a service."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agency.models import Project
from industry.models import DemandRound
from rohstoff.core.access import CONTRACT_READERS, DESK
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Material
from rohstoff.core.openapi import with_errors
from rohstoff.core.periods import Quarter

from .. import policy, pricing
from ..allocations import services as allocation_services
from ..allocations.api import AllocationRoundSerializer, ReleaseInput
from ..api_fields import AMOUNT, MONEY, QuarterField, T
from ..models import (
    AllocationRound,
    ContractState,
    Counterparty,
    Currency,
    OfftakeContract,
    PriceIndex,
    QuotationalPeriod,
)
from ..prices import selectors as price_selectors
from . import selectors, services


class ContractSerializer(serializers.ModelSerializer):
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    material = serializers.CharField(source="material.code", read_only=True)
    index = serializers.CharField(
        source="index.code", read_only=True, allow_null=True, default=None
    )
    first_period = QuarterField(source="start_quarter", read_only=True)
    last_period = QuarterField(source="end_quarter", read_only=True)
    quotational_period = serializers.SerializerMethodField(
        help_text="index-linked contracts: which index values make a quarter's price; null for a fixed price"
    )

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

    @extend_schema_field(
        serializers.ChoiceField(choices=QuotationalPeriod.choices, allow_null=True)
    )
    def get_quotational_period(self, obj) -> str | None:
        return obj.quotational_period or None


class ContractInput(serializers.Serializer):
    reference = serializers.CharField(max_length=40)
    counterparty = serializers.PrimaryKeyRelatedField(queryset=Counterparty.objects.all())
    round = serializers.PrimaryKeyRelatedField(queryset=DemandRound.objects.all())
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
    grade = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    first_period = QuarterField(source="start_quarter")
    last_period = QuarterField(source="end_quarter")
    annual_volume_t = StrictDecimalField(**T)
    tolerance_pct = StrictDecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("5")
    )
    take_or_pay_pct = StrictDecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("0")
    )
    lot_size_t = StrictDecimalField(**T, required=False, default=Decimal("0.001"))
    incoterm = serializers.ChoiceField(choices=OfftakeContract._meta.get_field("incoterm").choices)
    incoterm_place = serializers.CharField(max_length=120)
    currency = serializers.ChoiceField(choices=Currency.choices)
    price_unit = serializers.ChoiceField(choices=["t", "kg"], required=False, default="t")
    pricing_type = serializers.ChoiceField(choices=["fixed", "index"])
    fixed_price = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
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
    premium = StrictDecimalField(**MONEY, required=False, default=Decimal("0"))
    floor = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    cap = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    fee_type = serializers.ChoiceField(
        choices=["per_unit", "percent"], required=False, default="percent"
    )
    fee_value = StrictDecimalField(**MONEY, required=False, default=Decimal("0"))
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), required=False, allow_null=True, default=None
    )


class TransitionInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=ContractState.choices)
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)


class ScheduleRowSerializer(serializers.Serializer):
    period = serializers.CharField()
    quantity_t = StrictDecimalField(**T)
    delivered_t = StrictDecimalField(**T)
    status = serializers.ChoiceField(choices=["upcoming", "due", "late", "short", "delivered"])


class ScheduleEntryInput(serializers.Serializer):
    period = QuarterField()
    quantity_t = StrictDecimalField(**T, min_value=Decimal(0))


class ScheduleInput(serializers.Serializer):
    entries = ScheduleEntryInput(many=True)


class QuarterPriceSerializer(serializers.Serializer):
    period = serializers.CharField()
    # Computed (index average converted into the contract's unit and currency, plus fee): wider
    # than a stored price.
    price = StrictDecimalField(**AMOUNT, allow_null=True)
    back_to_back_price = StrictDecimalField(**AMOUNT, allow_null=True)
    currency = serializers.CharField()
    unit = serializers.CharField()
    basis = serializers.CharField(
        allow_null=True, help_text="fixed, index, floor, cap; null when not priced yet"
    )
    index_average = StrictDecimalField(**AMOUNT, allow_null=True)
    index_values = serializers.IntegerField()
    missing = serializers.CharField(allow_null=True, help_text="why there is no price yet")
    price_eur = serializers.DecimalField(
        **AMOUNT,
        allow_null=True,
        help_text="the contract price in EUR: at the FX rate of the pricing date once priced, "
        "at the latest rate while open; null without a rate",
    )
    pricing_date = serializers.DateField(
        help_text="last day of the quotational period (index) or of the delivery quarter (fixed)"
    )
    priced = serializers.BooleanField(
        help_text="the pricing date has passed: the EUR value is fixed; else it moves with the latest rate"
    )


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
        responses=with_errors(ContractSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One offtake contract",
        responses=with_errors(ContractSerializer, 404),
    ),
    create=extend_schema(
        summary="Create a contract (desk)",
        request=ContractInput,
        responses=with_errors(ContractSerializer, 400, ok_status=201),
    ),
    partial_update=extend_schema(
        summary="Change the terms of a draft or negotiating contract (desk)",
        request=ContractInput(partial=True),
        responses=with_errors(ContractSerializer, 400, 404, 409),
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
        return policy.contracts_visible_to(self.request.user).order_by("reference")

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
        responses=with_errors(ContractSerializer, 400, 404, 409),
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
        responses=with_errors(ScheduleRowSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def schedule(self, request, pk=None):
        return Response(ScheduleRowSerializer(_schedule_payload(self._contract()), many=True).data)

    @extend_schema(
        summary="Replace the delivery schedule (desk)",
        request=ScheduleInput,
        responses=with_errors(ScheduleRowSerializer(many=True), 400, 404, 409),
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
        responses=with_errors(ScheduleRowSerializer(many=True), 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="schedule/generate", pagination_class=None)
    def schedule_generate(self, request, pk=None):
        contract = self._contract()
        services.schedule_generate(contract=contract, actor=request.user)
        return Response(ScheduleRowSerializer(_schedule_payload(contract), many=True).data)

    @extend_schema(
        summary="Contract and back-to-back price per scheduled quarter",
        responses=with_errors(QuarterPriceSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def prices(self, request, pk=None):
        contract = self._contract()
        quarters = list(contract.schedule.values_list("quarter", flat=True))
        rows = []
        for q, price in price_selectors.quarter_prices(contract, quarters).items():
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
                        "price_eur": None,
                        "pricing_date": pricing.pricing_date(contract, Quarter.from_index(q)),
                        "priced": pricing.pricing_date(contract, Quarter.from_index(q))
                        < timezone.localdate(),
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
                        "price_eur": price.price_eur,
                        "pricing_date": price.pricing_date,
                        "priced": price.priced,
                    }
                )
        return Response(QuarterPriceSerializer(rows, many=True).data)

    @extend_schema(
        summary="The contract's latest allocation round with its quarters",
        responses=with_errors(AllocationRoundSerializer, 404),
    )
    @action(detail=True, methods=["get"])
    def allocation(self, request, pk=None):
        contract = self._contract()
        rounds = policy.allocation_rounds_visible_to(request.user).filter(contract=contract)
        current = rounds.order_by("-created_at").first()
        if current is None:
            return Response({"detail": "Not allocated yet."}, status=status.HTTP_404_NOT_FOUND)
        return Response(AllocationRoundSerializer(current).data)

    @extend_schema(
        summary="Compute (or recompute) the draft allocation (desk)",
        request=None,
        responses=with_errors(AllocationRoundSerializer, 404, 409, ok_status=201),
    )
    @action(detail=True, methods=["post"], url_path="allocation/preview")
    def allocation_preview(self, request, pk=None):
        draft = allocation_services.allocation_preview(
            contract=self._contract(), actor=request.user
        )
        return Response(AllocationRoundSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Release the draft allocation to the member firms (desk)",
        request=ReleaseInput,
        responses=with_errors(AllocationRoundSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="allocation/release")
    def allocation_release(self, request, pk=None):
        contract = self._contract()
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        draft = contract.allocation_rounds.filter(state=AllocationRound.State.DRAFT).first()
        if draft is None:
            raise StateConflict(_("There is no draft allocation to release; compute one first."))
        released = allocation_services.allocation_release(
            allocation_round=draft, actor=request.user, respond_by=data.validated_data["respond_by"]
        )
        return Response(AllocationRoundSerializer(released).data)


def _provided_fields(data) -> set[str]:
    mapping = {"first_period": "start_quarter", "last_period": "end_quarter"}
    return {mapping.get(k, k) for k in data}
