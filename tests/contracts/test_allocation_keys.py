"""A share's contract is its round's: the database refuses a share whose contract differs from
its allocation round's, whichever path writes it (docs/allocation.md, "Preview, override,
release"). PostgreSQL checks a composite foreign key, the SQLite demo a trigger."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from contracts.allocations import services as allocation_services
from contracts.models import Allocation
from rohstoff.core.periods import Quarter

Q1 = Quarter(2027, 1).index
QUARTERS_2027 = [Q1, Q1 + 1, Q1 + 2, Q1 + 3]


def _check_now():
    """The keys are checked at commit (deferred, as Django makes them); a test never commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def draft(make_contract, sign, desk, positions, firms, lioh):
    positions({firms[0]: Decimal("10"), firms[1]: Decimal("6")}, lioh, QUARTERS_2027)
    contract = sign(make_contract())
    with transaction.atomic():
        _check_now()  # the preview's own shares (one COPY on PostgreSQL) pass the check
        return allocation_services.allocation_preview(contract=contract, actor=desk)


def test_the_previews_shares_belong_to_its_contract(draft):
    shares = Allocation.objects.filter(allocation_round=draft)
    assert shares.count() == 8
    assert set(shares.values_list("contract_id", flat=True)) == {draft.contract_id}


@pytest.mark.parametrize("target", ["another contract", "no contract"])
def test_a_share_cannot_move_to_another_contract(draft, make_contract, target):
    contract_id = make_contract().pk if target == "another contract" else 987_654_321
    with pytest.raises(IntegrityError), transaction.atomic():
        _check_now()
        Allocation.objects.filter(allocation_round=draft).update(contract_id=contract_id)
    assert set(
        Allocation.objects.filter(allocation_round=draft).values_list("contract_id", flat=True)
    ) == {draft.contract_id}


def test_a_share_for_another_contract_than_its_rounds_is_refused(draft, make_contract, firms):
    other = make_contract()
    with pytest.raises(IntegrityError), transaction.atomic():
        _check_now()
        Allocation.objects.create(
            allocation_round=draft,
            contract=other,
            organisation=firms[2],
            quarter=Q1,
            requested_t=Decimal("1"),
            computed_t=Decimal("1"),
            quantity_t=Decimal("1"),
        )
    assert not Allocation.objects.filter(organisation=firms[2]).exists()
