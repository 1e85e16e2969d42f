"""industry/policy.py: which rounds and lines a user sees, and what the templates may offer."""

import pytest
from django.contrib.auth.models import AnonymousUser

from industry import policy
from industry.models import DemandRound
from rohstoff.core.capabilities import Capabilities
from tradinghouse import selectors as tradinghouse_selectors


@pytest.fixture
def rounds(make_round):
    return {state: make_round(state=state) for state in ("draft", "open", "closed")}


@pytest.mark.parametrize(
    ("who", "sees_draft", "sees_others"),
    [
        ("desk", True, True),
        ("member_a", False, True),
        ("analyst", False, True),
        ("ministry", False, True),
    ],
)
def test_drafts_only_for_the_desk(rounds, request, who, sees_draft, sees_others):
    user = request.getfixturevalue(who)
    visible = set(policy.rounds_visible_to(user))
    assert (
        rounds["draft"] in visible,
        rounds["open"] in visible and rounds["closed"] in visible,
    ) == (
        sees_draft,
        sees_others,
    )
    # tradinghouse asks the same policy
    assert set(tradinghouse_selectors.rounds_visible_to(user)) == visible


def test_anonymous_sees_no_round_and_may_do_nothing(rounds):
    anonymous = AnonymousUser()
    assert not policy.rounds_visible_to(anonymous).exists()
    assert not tradinghouse_selectors.rounds_visible_to(anonymous).exists()
    assert not any(policy.capabilities(anonymous).values())
    assert DemandRound.objects.count() == 3


def test_lines_own_firm_for_members_all_for_the_desk(
    open_round, enter, member_a, member_b, desk, analyst
):
    mine = enter(open_round, member_a)[0]
    theirs = enter(open_round, member_b)[0]
    assert list(policy.lines_visible_to(member_a, round=open_round)) == [mine]
    assert set(policy.lines_visible_to(desk, round=open_round)) == {mine, theirs}
    assert not policy.lines_visible_to(analyst, round=open_round).exists()


def test_capabilities_for_templates(desk, member_a, analyst):
    assert Capabilities(desk)["industry"] == {
        "read_rounds": True,
        "create_rounds": True,
        "manage_rounds": True,
        "see_drafts": True,
        "enter_demand": False,
        "screen_lines": True,
    }
    member = Capabilities(member_a)["industry"]
    assert member["enter_demand"] and not member["create_rounds"] and not member["screen_lines"]
    reader = Capabilities(analyst)["industry"]
    assert reader["read_rounds"] and not any(v for k, v in reader.items() if k != "read_rounds")
