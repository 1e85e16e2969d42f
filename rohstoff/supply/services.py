"""Writes of the supply app: loading reference editions (docs/supply-security.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from rohstoff.core.audit import audit_record
from rohstoff.core.models import Material

from . import reading
from .models import MaterialSeries, ProductionFigure, ReferenceEdition


@dataclass(frozen=True)
class LoadResult:
    edition: str
    loaded: bool  # False: the edition was loaded from the same files already
    figures: int
    series: int


def reference_edition_load(
    *, spec: reading.EditionSpec, actor=None, force: bool = False
) -> LoadResult:
    """Load one edition: its production figures and its material mapping. Idempotent: an
    edition whose files did not change since the last load is left as it is; otherwise its
    figures and mapping are replaced in one transaction. A mapping row naming a material code
    that is not in our list, or a series the file does not have, is an error (nothing written)."""
    checksum = spec.checksum()
    existing = ReferenceEdition.objects.filter(code=spec.code).first()
    if existing is not None and existing.checksum == checksum and not force:
        return LoadResult(spec.code, False, existing.figures.count(), existing.series.count())
    figures = reading.read_figures(spec)
    mapping = reading.read_mapping(spec)
    materials = Material.objects.in_bulk(field_name="code")
    series_keys = {(f.commodity, f.production_type) for f in figures}
    for row in mapping:
        if row.material not in materials:
            raise reading.ReferenceError(f"{spec.mapping.name}: unknown material {row.material}")
        if (row.commodity, row.production_type) not in series_keys:
            raise reading.ReferenceError(
                f"{spec.mapping.name}: {row.material}: no series "
                f"{row.commodity!r} / {row.production_type!r} in {spec.file.name}"
            )
    with transaction.atomic():
        edition, created = ReferenceEdition.objects.select_for_update().update_or_create(
            code=spec.code,
            defaults={
                "title": spec.title,
                "publisher": spec.publisher,
                "published_on": spec.published,
                "url": spec.url,
                "citation": spec.citation,
                "licence": spec.licence,
                "checksum": checksum,
                "loaded_at": timezone.now(),
            },
        )
        before = None if created else {"checksum": existing.checksum if existing else ""}
        edition.figures.all().delete()
        edition.series.all().delete()
        ProductionFigure.objects.bulk_create(
            [ProductionFigure(edition=edition, **f.__dict__) for f in figures], batch_size=2000
        )
        MaterialSeries.objects.bulk_create(
            [
                MaterialSeries(
                    edition=edition,
                    material=materials[row.material],
                    commodity=row.commodity,
                    production_type=row.production_type,
                    stage=row.stage,
                )
                for row in mapping
            ]
        )
        audit_record(
            actor=actor,
            action="reference.load",
            obj=edition,
            before=before,
            after={"checksum": checksum, "figures": len(figures), "series": len(mapping)},
        )
    return LoadResult(spec.code, True, len(figures), len(mapping))


def reference_data_load(*, actor=None, force: bool = False) -> list[LoadResult]:
    """Every edition ``data/editions.toml`` lists."""
    return [
        reference_edition_load(spec=spec, actor=actor, force=force) for spec in reading.editions()
    ]
