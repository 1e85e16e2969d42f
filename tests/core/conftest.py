import pytest

# Every kind of signed-in user the access policy knows: the six roles and the staff admins.
ROLE_NAMES = (
    "member",
    "member_admin",
    "agency_analyst",
    "agency_approver",
    "trading_desk",
    "ministry_viewer",
    "staff",
)


@pytest.fixture
def role_users(make_user, firm_a, make_org):
    """One user of each role (approver and desk with their second factor), keyed by role name."""
    agency = make_org("Agentur", "agency")
    return {
        "member": make_user("member", org=firm_a, email="member@firm-a.example"),
        "member_admin": make_user("member_admin", org=firm_a, email="admin@firm-a.example"),
        "agency_analyst": make_user("agency_analyst", org=agency, email="analyst@agency.example"),
        "agency_approver": make_user(
            "agency_approver", org=agency, email="approver@agency.example"
        ),
        "trading_desk": make_user(
            "trading_desk", org=make_org("Handelshaus", "tradinghouse"), email="desk@th.example"
        ),
        "ministry_viewer": make_user(
            "ministry_viewer",
            org=make_org("Ministerium", "ministry"),
            email="viewer@ministry.example",
        ),
        "staff": make_user("", org=None, email="staff@platform.example", staff=True),
    }
