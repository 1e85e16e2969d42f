"""REST API of allocation of a contract's volume to the member firms: separate input and output
serializers; every write goes through a service."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import DESK, MEMBERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.openapi import with_errors

from .. import policy
from ..api_fields import QuarterField, T
from ..models import (
    AllocationRound,
)
from . import selectors, services


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


class AllocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contract = serializers.IntegerField(source="contract_id")
    contract_reference = serializers.CharField(source="contract.reference")
    material = serializers.CharField(source="contract.material.code")
    period = QuarterField(source="quarter")
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    requested_t = StrictDecimalField(
        **T, help_text="remaining firm demand when the share was computed"
    )
    computed_t = StrictDecimalField(**T)
    quantity_t = StrictDecimalField(**T)
    redistributed_t = StrictDecimalField(**T)
    state = serializers.CharField()
    deemed_confirmed = serializers.BooleanField()
    override_reason = serializers.CharField()
    reopen_reason = serializers.CharField(
        help_text="why the desk reopened a confirmed share (the firm answers again); empty if never"
    )
    respond_by = serializers.DateTimeField(source="allocation_round.respond_by", allow_null=True)
    released = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField(
        help_text="How the share was computed. Members get their own numbers and the fill rate of their demand; "
        "the pooled demand of all firms, their number and the volume shared are for the desk only. Where the "
        "firm part of the share's position cell is hidden from the member, so is every figure of the pro-rata "
        "step (method, pro_rata_lots, base_lots, extra_lots, fill_pct) and `withheld` is true."
    )

    def get_released(self, obj) -> bool:
        return obj.allocation_round.state != AllocationRound.State.DRAFT

    def get_explanation(self, obj) -> dict:
        user = self.context["request"].user
        if "firm_part_hidden" not in self.context:
            # Once per response: the whole page when listing.
            page = (
                self.parent.instance
                if isinstance(self.parent, serializers.ListSerializer)
                else [obj]
            )
            self.context["firm_part_hidden"] = selectors.firm_part_hidden(user, page)
        return selectors.explanation_for(user, obj, hidden=self.context["firm_part_hidden"])


class ReopenInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    respond_by = serializers.DateTimeField()


class AnswerItem(serializers.Serializer):
    id = serializers.IntegerField(help_text="the share (allocation) id")
    answer = serializers.ChoiceField(choices=["confirm", "decline"])


class AnswersInput(serializers.Serializer):
    answers = serializers.ListField(
        child=AnswerItem(), min_length=1, max_length=500, help_text="at most 500 shares at once"
    )

    def validate_answers(self, value):
        ids = [item["id"] for item in value]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each share may be answered once per request.")
        return value


class OverrideInput(serializers.Serializer):
    quantity_t = StrictDecimalField(**T)
    reason = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(
        summary="Allocations: a member sees its own firm's released shares; the desk all",
        responses=with_errors(AllocationSerializer(many=True), 400),  # a filter naming no object
    ),
    retrieve=extend_schema(
        summary="One allocation with how it was computed",
        responses=with_errors(AllocationSerializer, 404),
    ),
)
class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": MEMBERS | DESK,
        "retrieve": MEMBERS | DESK,
        "confirm": MEMBERS,
        "decline": MEMBERS,
        "answer": MEMBERS,
        "override": DESK,
        "reopen": DESK,
    }
    serializer_class = AllocationSerializer
    filterset_fields = ["contract", "state"]

    def scoped_queryset(self):
        return policy.allocations_visible_to(self.request.user).order_by(
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
        responses=with_errors(AllocationSerializer, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._respond(request, pk, True)

    @extend_schema(
        summary="Decline your firm's share (member, by the deadline); it goes to the firms that have not answered",
        request=None,
        responses=with_errors(AllocationSerializer, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._respond(request, pk, False)

    @extend_schema(
        summary="Answer several of your firm's shares at once (member): all or nothing",
        description="Each share is confirmed or declined by the rules of the single answer, in "
        "quarter order. If one cannot be answered (answered already, deadline passed), none is: "
        "409 naming the quarter. A share that is not your firm's answers 404, as one that does "
        "not exist. Returns the answered shares.",
        request=AnswersInput,
        responses=with_errors(AllocationSerializer(many=True), 400, 404, 409),
    )
    @action(detail=False, methods=["post"])
    def answer(self, request):
        data = AnswersInput(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["answers"]
        shares = {
            a.pk: a
            for a in policy.allocations_visible_to(request.user).filter(
                pk__in=[item["id"] for item in items]
            )
        }
        if len(shares) != len(items):
            raise Http404
        services.allocations_respond(
            answers={shares[item["id"]]: item["answer"] == "confirm" for item in items},
            actor=request.user,
        )
        answered = list(self.scoped_queryset().filter(pk__in=list(shares)))
        return Response(
            AllocationSerializer(answered, many=True, context={"request": request}).data
        )

    @extend_schema(
        summary="Override a firm's share with a reason (desk)",
        request=OverrideInput,
        responses=with_errors(AllocationSerializer, 400, 404, 409),
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

    @extend_schema(
        summary="Reopen a confirmed share with a reason (desk); the firm answers again by respond_by",
        request=ReopenInput,
        responses=with_errors(AllocationSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        allocation = selectors.allocation_get(user=request.user, pk=pk)
        data = ReopenInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.allocation_reopen(allocation=allocation, actor=request.user, **data.validated_data)
        return Response(
            AllocationSerializer(
                selectors.allocation_get(user=request.user, pk=pk), context={"request": request}
            ).data
        )
