"""REST API of the portfolio: totals of approved stakes in EUR by material, country, instrument
(agency and ministry) and project stage (agency only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.openapi import with_errors

from ..policy import PORTFOLIO_READERS
from . import selectors

EUR = {"max_digits": 24, "decimal_places": 2}


class TotalSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="material code, ISO country code, instrument or project stage ('' when none)"
    )
    label = serializers.CharField(help_text="the key in the caller's language")
    stakes = serializers.IntegerField()
    committed_eur = StrictDecimalField(**EUR)
    disbursed_eur = StrictDecimalField(**EUR)
    unconverted = serializers.IntegerField(
        help_text="stakes left out of the amounts because no EUR rate was known"
    )


class PortfolioSerializer(serializers.Serializer):
    stakes = serializers.IntegerField(help_text="approved stakes")
    committed_eur = StrictDecimalField(**EUR)
    disbursed_eur = StrictDecimalField(**EUR)
    by_material = TotalSerializer(many=True)
    by_country = TotalSerializer(many=True)
    by_instrument = TotalSerializer(many=True)
    by_stage = TotalSerializer(
        many=True, required=False, help_text="agency only: by the project's stage"
    )


class PortfolioView(APIView):
    access_policy = PORTFOLIO_READERS

    @extend_schema(
        summary="Portfolio totals of approved stakes (agency; ministry without by_stage)",
        responses=with_errors(PortfolioSerializer, 404),  # 404: members (docs/portfolio.md)
    )
    def get(self, request):
        data = selectors.portfolio(user=request.user)
        body = {
            "stakes": data.stakes,
            "committed_eur": data.committed_eur,
            "disbursed_eur": data.disbursed_eur,
            **{f"by_{dimension}": totals for dimension, totals in data.by.items()},
        }
        return Response(PortfolioSerializer(body).data)
