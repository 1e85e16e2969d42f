"""The demand line's references are database foreign keys again (issue 14): PostgreSQL itself
refuses a line for a firm, material or user that does not exist, whichever path writes it."""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from industry.models import DemandLine

MISSING = 987_654_321


def _line_values(round, member, material):
    return {
        "round": round,
        "organisation_id": member.organisation_id,
        "material_id": material.pk,
        "grade": "",
        "period": "2027",
        "first_quarter": 2027 * 4,
        "is_year": True,
        "quantity": 40,
        "unit": "t",
        "quantity_t": 40,
        "commitment": "firm",
        "delivery_country": "DE",
        "entered_by_id": member.pk,
    }


@pytest.mark.parametrize(
    "field", ["organisation_id", "material_id", "entered_by_id", "excluded_by_id"]
)
def test_a_line_for_a_missing_firm_material_or_user_is_refused(
    open_round, member_a, materials, field
):
    values = _line_values(open_round, member_a, materials["lithium-hydroxide"])
    values[field] = MISSING
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            # The keys are checked at commit (deferred); a test never commits, so check now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        DemandLine.objects.create(**values)
    assert not DemandLine.objects.filter(round=open_round).exists()


def test_a_line_with_existing_references_is_stored(open_round, member_a, materials):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        DemandLine.objects.create(
            **_line_values(open_round, member_a, materials["lithium-hydroxide"])
        )
    assert DemandLine.objects.filter(round=open_round).count() == 1


@pytest.mark.postgres
def test_the_bulk_copy_path_is_refused_too(open_round, member_a, materials):
    columns = (
        "round_id, organisation_id, material_id, grade, period, first_quarter, is_year, quantity, "
        "unit, quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, "
        "version, excluded, exclusion_reason"
    )
    material = materials["lithium-hydroxide"].pk
    row = (
        f"{open_round.pk},{MISSING},{material},x,2027,{2027 * 4},t,40,t,40,firm,DE,"
        f"{member_a.pk},2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,1,f,\n"
    )
    # COPY goes to psycopg directly: its own IntegrityError (a ForeignKeyViolation) comes back.
    with (
        pytest.raises(psycopg.errors.ForeignKeyViolation),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with cursor.copy(
            f"COPY industry_demandline ({columns}) FROM STDIN WITH (FORMAT csv, "
            "FORCE_NOT_NULL (exclusion_reason))"
        ) as copy:
            copy.write(row)
