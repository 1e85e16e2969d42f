"""The contracts policy: what each role may do (``can.contracts`` in templates) and what each
role may see, from the one module that reads a user's role."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from contracts import policy
from contracts.allocations import services as allocation_services
from rohstoff.core import capabilities
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index


@pytest.fixture
def draft(make_contract, sign, desk, positions, firm_a, firm_b, lioh):
    positions({firm_a: D("6"), firm_b: D("4")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    return allocation_services.allocation_preview(contract=sign(make_contract()), actor=desk)


def test_capabilities_per_role(desk, analyst, approver, member_a, member_admin_a, ministry):
    expected = {
        desk: {"read", "write", "read_totals", "read_firm_shares"},
        analyst: {"read", "read_totals"},
        approver: {"read", "read_totals"},
        member_a: {"answer_allocations"},
        member_admin_a: {"answer_allocations"},
        ministry: {"read_totals"},
        AnonymousUser(): set(),
    }
    for user, flags in expected.items():
        assert {k for k, v in policy.capabilities(user).items() if v} == flags, user


def test_templates_ask_the_registered_capabilities(rf, analyst):
    assert capabilities.providers()["contracts"] is policy.capabilities
    request = rf.get("/")
    request.user = analyst
    can = capabilities.can(request)["can"]
    assert can["contracts"]["read"] and not can["contracts"]["write"]


def test_a_draft_allocation_is_the_desks_alone(api, login, desk, analyst, member_a, draft):
    """Until released, an allocation is the trustee's working paper: the agency sees no draft
    round (page or API) and no member sees its share."""
    contract = draft.contract
    assert policy.allocation_rounds_visible_to(desk).filter(pk=draft.pk).exists()
    assert not policy.allocation_rounds_visible_to(analyst).filter(pk=draft.pk).exists()
    assert not policy.allocations_visible_to(member_a).exists()
    assert api(analyst).get(f"/api/v1/contracts/{contract.pk}/allocation/").status_code == 404
    assert api(desk).get(f"/api/v1/contracts/{contract.pk}/allocation/").status_code == 200
    page = login(analyst).get(f"/contracts/{contract.pk}/allocation/")
    assert page.context["allocation_round"] is None
    desk_page = login(desk).get(f"/contracts/{contract.pk}/allocation/").content.decode()
    assert "Firm A GmbH" in desk_page and 'data-testid="allocation-release"' in desk_page


def test_the_agency_gets_no_desk_action_on_the_pages(login, analyst, desk, draft):
    """Templates show a write action by ``can.contracts.write``, not by role."""
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    contract = draft.contract
    for user, shown in ((desk, True), (analyst, False)):
        client = login(user)
        book = client.get("/contracts/").content.decode()
        assert ("/contracts/new/" in book) is shown
        detail = client.get(f"/contracts/{contract.pk}/").content.decode()
        assert (f"/contracts/{contract.pk}/schedule/" in detail) is shown
        prices = client.get("/contracts/prices/").content.decode()
        assert ("/contracts/prices/indices/new/" in prices) is shown
        parties = client.get("/contracts/counterparties/").content.decode()
        assert ("/contracts/counterparties/new/" in parties) is shown
        allocation = client.get(f"/contracts/{contract.pk}/allocation/").content.decode()
        assert ("Firm A GmbH" in allocation) is shown


def test_only_the_firm_answers_for_its_share(draft, desk, member_a, member_b, firm_a):
    released = allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    share = released.allocations.filter(organisation=firm_a).first()
    assert policy.answers_for(member_a, share)
    assert not policy.answers_for(member_b, share)
    assert not policy.answers_for(desk, share)
    assert set(policy.members_of([firm_a.pk])) == {member_a}
