"""tradinghouse.policy: who is a trustee, which dashboard a reader gets and which readers share a
cached dashboard. A reader the policy does not name gets the disclosed view, never trustee data."""

import pytest

from tradinghouse import policy


@pytest.mark.parametrize(
    ("role", "kind", "view"),
    [
        ("trading_desk", "trustee", "desk"),
        ("agency_analyst", "trustee", "agency"),
        ("agency_approver", "trustee", "agency"),
        ("member", "member", "member-{org}"),
        ("member_admin", "member", "member-{org}"),
        ("ministry_viewer", "public", "ministry"),
    ],
)
def test_each_role_reads_its_own_dashboard(make_user, role, kind, view):
    user = make_user(role)
    assert policy.dashboard_kind(user) == kind
    assert policy.reader_view(user) == view.format(org=user.organisation_id)
    assert policy.is_trustee(user) is (kind == "trustee")


def test_a_reader_without_a_known_role_shares_nothing_and_sees_no_trustee_data(make_user):
    staff = make_user("", org=None, staff=True)
    assert policy.dashboard_kind(staff) == "public"
    assert policy.reader_view(staff) == f"user-{staff.pk}"
    assert not policy.reads_positions(staff)
    assert not policy.capabilities(staff)["trustee"]


def test_members_of_different_firms_never_share_a_cached_dashboard(make_user, firm_a, firm_b):
    a, b = make_user("member", org=firm_a), make_user("member", org=firm_b)
    assert policy.reader_view(a) != policy.reader_view(b)


def test_templates_get_the_flags_through_can(rf, make_user):
    from rohstoff.core.capabilities import can

    request = rf.get("/")
    request.user = make_user("agency_analyst")
    flags = can(request)["can"]["tradinghouse"]
    assert flags["trustee"] and flags["read_positions"]
    assert not flags["aggregate"] and not flags["see_largest_firm"]
