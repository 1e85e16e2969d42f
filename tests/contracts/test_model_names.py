"""Model names (admin lists, audit entries) show quantities with the project's formatter: unit
always, German number format in German (docs/periods-and-units.md)."""

import datetime
from decimal import Decimal

from django.utils import translation

from agency.stockpile.models import Holding, Location
from contracts.models import Allocation, Delivery, OfftakeContract, ScheduleEntry
from rohstoff.core.periods import Quarter

NBSP = "\xa0"


def _names(language: str) -> list[str]:
    contract = OfftakeContract(reference="OT-2027-001")
    with translation.override(language):
        return [
            str(
                ScheduleEntry(
                    contract_id=7, quarter=Quarter(2027, 1).index, quantity_t=Decimal("2381.5")
                )
            ),
            str(
                Delivery(
                    contract=contract,
                    delivered_on=datetime.date(2027, 2, 1),
                    quantity_t=Decimal("2381.5"),
                )
            ),
            str(
                Allocation(
                    contract=contract,
                    quarter=Quarter(2027, 1).index,
                    organisation_id=3,
                    quantity_t=Decimal("2381.5"),
                )
            ),
            str(
                Holding(
                    location=Location(name="Duisburg"), material_id=5, quantity_t=Decimal("2381.5")
                )
            ),
        ]


def test_model_names_format_tonnes_in_german_and_english():
    for name in _names("de"):
        assert name.endswith(f"2.381,5{NBSP}t"), name
    for name in _names("en"):
        assert name.endswith(f"2,381.5{NBSP}t"), name
