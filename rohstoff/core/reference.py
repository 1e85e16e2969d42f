"""The platform's own reference data: materials (from the consortium's reference list).

``data/materials.csv`` is our copy of the reference list. Formula or composition is what we
trade; the element content is computed here from it (``chemistry``), never read from the file:
the file's ``reference_element_content`` column was computed independently and is kept only so
that a test can compare the two.
"""

import csv
from decimal import Decimal
from pathlib import Path

from .chemistry import element_content

MATERIALS_CSV = Path(__file__).parent / "data" / "materials.csv"


def reference_materials() -> list[dict]:
    with MATERIALS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_materials(material_model) -> int:
    """Create or update every reference material; safe to run again. Returns the count."""
    for order, row in enumerate(reference_materials()):
        content = element_content(
            formula=row["formula"], composition=row["composition"], element=row["element"]
        )
        material_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_en": row["name_en"],
                "name_de": row["name_de"],
                "formula": row["formula"],
                "composition": row["composition"],
                "element": row["element"],
                "family": row["family"],
                "crma": row["crma"],
                "element_content": content.quantize(Decimal("0.0000000001")),
                "sort_order": order,
            },
        )
    return len(reference_materials())
