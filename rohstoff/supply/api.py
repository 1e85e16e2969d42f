"""Read API of supply security: reference editions and their production figures per material,
concentration, CRMA tracker (docs/supply-security.md). Every signed-in role reads it; contracted
tonnes are null for members and the ministry (disclosure control)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from rohstoff.core.access import CONSORTIUM
from rohstoff.core.models import Material
from rohstoff.core.openapi import with_errors
from rohstoff.core.shortcuts import get_visible_or_404

from . import selectors, tables

PCT = {"max_digits": None, "decimal_places": 2, "allow_null": True, "read_only": True}
T = {"max_digits": None, "decimal_places": 6, "allow_null": True, "read_only": True}


class EditionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    published_on = serializers.DateField()
    url = serializers.URLField()
    citation = serializers.CharField()
    licence = serializers.CharField()


class ShareSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166 alpha-2 code, or USGS's name without one")
    name = serializers.CharField()
    value = serializers.DecimalField(**T, help_text="In the series' unit; null when not shown")
    share_pct = serializers.DecimalField(**PCT)
    estimate = serializers.BooleanField(required=False)
    third_country = serializers.BooleanField()


class LeftOutSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166 alpha-2 code, empty without one")
    name = serializers.CharField()
    reason = serializers.ChoiceField(choices=["withheld", "na"])


class WorldSerializer(serializers.Serializer):
    commodity = serializers.CharField()
    production_type = serializers.CharField()
    stage = serializers.ChoiceField(choices=["mining", "refining"])
    year = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    hhi = serializers.DecimalField(max_digits=None, decimal_places=0, allow_null=True)
    shares = ShareSerializer(many=True)
    left_out = LeftOutSerializer(many=True)


class QuarterConcentrationSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="Quarter, e.g. 2027-Q3; `window` for the whole")
    hhi = serializers.DecimalField(max_digits=None, decimal_places=0, allow_null=True)
    total_t = serializers.DecimalField(**T)
    shares = ShareSerializer(many=True)
    over_65_pct = serializers.BooleanField()


class ConcentrationRowSerializer(serializers.Serializer):
    material = serializers.CharField(source="code")
    world_year = serializers.IntegerField(allow_null=True)
    world_hhi = serializers.DecimalField(max_digits=None, decimal_places=0, allow_null=True)
    world_top_share_pct = serializers.DecimalField(source="world_top_share", **PCT)
    world_estimate = serializers.BooleanField()
    contracted_hhi = serializers.DecimalField(max_digits=None, decimal_places=0, allow_null=True)
    contracted_total_t = serializers.DecimalField(**T)
    third_country_share_pct = serializers.DecimalField(source="third_country_share", **PCT)
    flagged = serializers.BooleanField(help_text="One third country holds more than 65 %")


class ConcentrationListSerializer(serializers.Serializer):
    edition = EditionSerializer(allow_null=True)
    window = serializers.ListField(child=serializers.CharField())
    materials = ConcentrationRowSerializer(many=True)


class ConcentrationDetailSerializer(serializers.Serializer):
    material = serializers.CharField()
    edition = EditionSerializer(allow_null=True)
    world = WorldSerializer(allow_null=True)
    contracted = QuarterConcentrationSerializer(many=True)


class CrmaRowSerializer(serializers.Serializer):
    material = serializers.CharField(source="code")
    round = serializers.CharField(required=False)
    total_t = serializers.DecimalField(**T)
    extracted_eu_pct = serializers.DecimalField(source="extracted", **PCT)
    processed_eu_pct = serializers.DecimalField(source="processed", **PCT)
    recycled_eu_pct = serializers.DecimalField(source="recycled", **PCT)
    largest_third_country_pct = serializers.DecimalField(source="third_country_share", **PCT)


class CrmaSerializer(serializers.Serializer):
    note = serializers.CharField()
    benchmarks = serializers.DictField(child=serializers.CharField())
    current = CrmaRowSerializer(many=True)
    trend = CrmaRowSerializer(many=True)


def _edition(edition):
    return EditionSerializer(edition).data if edition else None


def _shares(conc, estimated=frozenset()):
    if conc is None:
        return []
    return [
        {
            "country": s.key,
            "name": tables.country_name(s.key, s.name),
            "value": s.value,
            "share_pct": s.shown,
            "estimate": s.key in estimated,
            "third_country": s.third_country,
        }
        for s in conc.shares
    ]


def _window():
    first = selectors.quarter_of(timezone.localdate())
    return [str(first + i) for i in range(selectors.WINDOW_QUARTERS)]


class ConcentrationListView(APIView):
    access_policy = CONSORTIUM

    @extend_schema(
        summary="Supply concentration per material (world production and contracted supply)",
        operation_id="supply_concentration_list",
        responses=with_errors(ConcentrationListSerializer),
    )
    def get(self, request):
        edition = selectors.current_edition()
        rows = tables.concentration_rows(
            user=request.user, as_of=timezone.localdate(), edition=edition
        )
        data = {"edition": _edition(edition), "window": _window(), "materials": rows}
        return Response(ConcentrationListSerializer(data).data)


class ConcentrationDetailView(APIView):
    access_policy = CONSORTIUM

    @extend_schema(
        summary="Country shares and HHI of one material",
        operation_id="supply_concentration_retrieve",
        responses=with_errors(ConcentrationDetailSerializer, 404),
        parameters=[
            OpenApiParameter(
                "code",
                str,
                OpenApiParameter.PATH,
                pattern="^[-a-zA-Z0-9_]+$",
                description="Material code, e.g. lithium-hydroxide",
            )
        ],
    )
    def get(self, request, code):
        material = get_visible_or_404(Material.objects.all(), code=code)
        edition = selectors.current_edition()
        world = selectors.world_concentrations(edition=edition, materials=[material]).get(
            material.pk
        )
        contracted = selectors.contracted_concentrations(
            user=request.user, as_of=timezone.localdate(), materials=[material]
        ).get(material.pk)
        periods = []
        if contracted:
            for label, conc in [(str(q), c) for q, c in contracted.quarters] + [
                ("window", contracted.window)
            ]:
                periods.append(
                    {
                        "period": label,
                        "hhi": conc.hhi_shown,
                        "total_t": conc.total,
                        "shares": _shares(conc),
                        "over_65_pct": conc.over_third_country_limit,
                    }
                )
        data = {
            "material": material.code,
            "edition": _edition(edition),
            "world": {
                "commodity": world.series.commodity,
                "production_type": world.series.production_type,
                "stage": world.series.stage,
                "year": world.year if world.has_data else None,
                "unit": world.unit,
                "hhi": world.concentration.hhi_shown if world.concentration else None,
                "shares": _shares(world.concentration, world.estimated),
                "left_out": [
                    {"country": x.country, "name": x.name, "reason": x.reason}
                    for x in world.left_out
                ],
            }
            if world
            else None,
            "contracted": periods,
        }
        return Response(ConcentrationDetailSerializer(data).data)


class CrmaView(APIView):
    access_policy = CONSORTIUM

    @extend_schema(
        summary="CRMA 2030 tracker: the consortium's shares against the benchmarks",
        responses=with_errors(CrmaSerializer),
    )
    def get(self, request):
        tracker = selectors.crma_tracker(user=request.user)
        data = {
            "note": "Shares of the consortium's contracted supply, not the EU's.",
            "benchmarks": {
                "extracted_eu_pct": ">= 10",
                "processed_eu_pct": ">= 40",
                "recycled_eu_pct": ">= 25",
                "largest_third_country_pct": "<= 65",
            },
            "current": [
                r for r in tables.crma_rows(tracker) if r["third_country_share"] is not None
            ],
            "trend": tables.crma_trend_rows(tracker),
        }
        return Response(CrmaSerializer(data).data)
