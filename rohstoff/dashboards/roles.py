"""What each role may do on the platform, in its users' words (shown on the home page).

The wording follows docs/roles-and-visibility.md, "Who sees what"; the pages themselves enforce it.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rohstoff.core.models import Role


@dataclass(frozen=True)
class RoleSummary:
    lead: Promise
    can: list[Promise] = field(default_factory=list)
    never: list[Promise] = field(default_factory=list)
    # The home page's tile texts, by the link's URL name; a link without one keeps the sidebar's
    # neutral description.
    tiles: dict[str, Promise] = field(default_factory=dict)


_MEMBER_CAN = [
    _(
        "Enter your firm's demand while a round is open: in the browser, as a CSV or Excel file, or from your ERP through the API."
    ),
    _(
        "See pooled positions and coverage wherever enough firms contribute for the figures to stay anonymous."
    ),
    _(
        "Confirm or decline the volumes the trading house allocates to your firm, and see how each share was computed."
    ),
]
_MEMBER_TILES = {
    "industry:round_list": _(
        "Enter your firm's demand while a round is open, in the browser or as a file, and check what you entered."
    ),
    "tradinghouse:position_overview": _(
        "Pooled demand and its coverage per material and quarter, beside your firm's own share."
    ),
    "api_tokens": _("Personal keys for sending your firm's demand from your ERP."),
}
_AGENCY_TILES = {
    "industry:round_list": _(
        "Which demand rounds are running and when they close; firms' lines stay with the trading house."
    ),
    "tradinghouse:position_overview": _(
        "Every cell of the pooled positions, including those hidden from members and the ministry."
    ),
}
_MEMBER_NEVER = [
    _(
        "Other firms never see your demand lines, and you never see theirs: only the trading house, acting as trustee, reads individual lines."
    ),
]

ROLE_SUMMARIES: dict[str, RoleSummary] = {
    Role.MEMBER: RoleSummary(
        lead=_(
            "Tell the trading house what your firm will need. Pooled with the other member firms, your demand becomes large enough for long-term offtake contracts."
        ),
        can=_MEMBER_CAN,
        never=_MEMBER_NEVER,
        tiles=_MEMBER_TILES,
    ),
    Role.MEMBER_ADMIN: RoleSummary(
        lead=_(
            "Tell the trading house what your firm will need, and manage who in your firm works on the platform."
        ),
        can=[
            *_MEMBER_CAN,
            _("Invite colleagues of your firm, remove them and revoke their API tokens."),
        ],
        never=_MEMBER_NEVER,
        tiles={
            **_MEMBER_TILES,
            "team": _("Invite colleagues of your firm, remove them, revoke their API tokens."),
        },
    ),
    Role.AGENCY_ANALYST: RoleSummary(
        lead=_("Follow pooled demand, coverage and the projects that carry offtake rights."),
        can=[
            _(
                "Read every cell of the procurement positions, including those hidden from members and the ministry."
            ),
            _(
                "Read the trading house's offtake contracts: terms, schedules, deliveries and the quarter totals of their allocations."
            ),
            _(
                "Follow the projects in mines, refineries and recycling plants that contracts draw on."
            ),
        ],
        never=[_("Individual firms' demand lines stay with the trading house.")],
        tiles=_AGENCY_TILES,
    ),
    Role.AGENCY_APPROVER: RoleSummary(
        lead=_("Follow pooled demand, coverage and the projects that carry offtake rights."),
        can=[
            _("Everything an agency analyst may do."),
            _("Your sign-in is protected by a second factor."),
        ],
        never=[_("Individual firms' demand lines stay with the trading house.")],
        tiles=_AGENCY_TILES,
    ),
    Role.TRADING_DESK: RoleSummary(
        lead=_(
            "Collect pooled demand, screen it, turn it into procurement positions and cover them with offtake contracts."
        ),
        can=[
            _("Open, screen and close demand rounds; read every firm's lines as trustee."),
            _(
                "Sign offtake contracts against open positions and allocate their volumes to member firms."
            ),
            _(
                "Enter index prices and exchange rates, track deliveries and mark open volumes to market."
            ),
        ],
        never=[
            _(
                "Individual lines leave the trading house only as pooled positions under disclosure control."
            )
        ],
        tiles={
            "industry:round_list": _(
                "Open a round for demand, screen every firm's lines as trustee, then close it."
            ),
            "tradinghouse:position_overview": _(
                "Aggregate closed rounds and see which cells disclosure control hides, and why."
            ),
        },
    ),
    Role.MINISTRY_VIEWER: RoleSummary(
        lead=_(
            "How well is German industry covered? Disclosed positions and coverage, never individual firms."
        ),
        can=[
            _("Read disclosed positions and their coverage per material and quarter."),
            _(
                "Read aggregates of the offtake contracts: contracted tonnes per material, year and supplier country."
            ),
        ],
        never=[_("Figures that would reveal a single firm's demand are hidden.")],
        tiles={
            "industry:round_list": _(
                "Which demand rounds collected industry's demand, and when; no firm's demand is shown."
            ),
            "tradinghouse:position_overview": _(
                "Disclosed pooled demand and its coverage by contracts, per material and quarter."
            ),
        },
    ),
    Role.SUPPLIER: RoleSummary(
        lead=_(
            "Offer raw materials against the consortium's published demand: calls for offers, your offers and your results."
        ),
        can=[
            _(
                "Read each open call's aggregate sheet: pooled demand per material and quarter where it is disclosed, with the desk's terms and specifications."
            ),
            _(
                "Make, revise and withdraw offers until the call's deadline: in the browser, as a file or through the API."
            ),
            _("See what the matching gave your own offers, and why."),
        ],
        never=[
            _(
                "No firm's name, number or demand ever reaches a supplier, and no supplier sees another's offers."
            ),
        ],
        tiles={
            "market:calls": _(
                "Open calls for offers: the pooled demand where it is disclosed, the terms, your offers and your results."
            ),
        },
    ),
}

STAFF_SUMMARY = RoleSummary(
    lead=_("Platform administration: users, invitations and the audit log."),
    can=[
        _("Invite people into any organisation, remove them and revoke their API tokens."),
        _("Read the append-only audit log and check the integrity of its hash chain."),
        _("Maintain organisations and reference data in the administration."),
    ],
    tiles={
        "team": _("Invite people into any organisation, remove them and revoke their API tokens."),
        "api_tokens": _("Personal keys for your own scripts that call the platform's API."),
    },
)


def summary_for(user) -> RoleSummary:
    """The description of the user's role (a description only: what the user may do is decided
    by the access policy and each app's policy module)."""
    return ROLE_SUMMARIES.get(user.role, STAFF_SUMMARY)
