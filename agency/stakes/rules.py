"""The rules a stake proposal must meet (docs/stakes.md, "Rules"), as pure functions of its
values: the services call them before they write, the form and the API show their messages.

Each check returns a dict ``{field: [messages]}``; empty when the proposal passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_percent, format_tonnes
from rohstoff.core.models import CrmaStatus

from .models import DocumentItem, Instrument, ProposalStage

HUNDRED = Decimal(100)
PLAIN_LIMIT = Decimal(50)  # equity share allowed without a justification
JUSTIFIED_LIMIT = Decimal(75)  # never above, justification or not
MAX_CAP_TABLE_ROWS = 50
MAX_OFFTAKE_YEARS = 40
T_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Shareholder:
    name: str
    share_pct: Decimal
    is_agency: bool = False


def pct(value: Decimal) -> str:
    return format_percent(value, places=4, points=True)


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_equity(
    *, instrument: str, equity_share_pct: Decimal | None, special_necessity: str
) -> dict:
    errors: dict = {}
    if instrument != Instrument.EQUITY:
        if equity_share_pct is not None:
            _add(errors, "equity_share_pct", _("Only an equity stake buys a share."))
        return errors
    if equity_share_pct is None:
        _add(errors, "equity_share_pct", _("An equity stake names the share it buys."))
    elif equity_share_pct <= 0:
        _add(errors, "equity_share_pct", _("The share bought must be more than 0 %."))
    elif equity_share_pct > JUSTIFIED_LIMIT:
        _add(
            errors,
            "equity_share_pct",
            _(
                "The agency buys at most %(limit)s of the equity raised in a deal, whatever the "
                "justification."
            )
            % {"limit": pct(JUSTIFIED_LIMIT)},
        )
    elif equity_share_pct > PLAIN_LIMIT and not special_necessity.strip():
        _add(
            errors,
            "special_necessity",
            _(
                "A share above 50 %% (here %(share)s) needs a written special-necessity "
                "justification; approvers see it flagged."
            )
            % {"share": pct(equity_share_pct)},
        )
    return errors


def needs_justification(equity_share_pct: Decimal | None) -> bool:
    """Above 50 %: approvers see the proposal flagged with its justification."""
    return equity_share_pct is not None and equity_share_pct > PLAIN_LIMIT


def check_cap_table(*, instrument: str, rows: list[Shareholder]) -> dict:
    """The capital table after the deal: required for equity, adding up to exactly 100 %, one row
    the agency's, strictly below the largest other shareholder (a tie for the largest counts as
    the largest). The agency's row is its holding in the company; the equity share bought is its
    part of the equity raised in this deal (docs/stakes.md), so the two differ."""
    errors: dict = {}
    if not rows:
        if instrument == Instrument.EQUITY:
            _add(errors, "cap_table", _("An equity stake needs the capital table after the deal."))
        return errors
    if len(rows) > MAX_CAP_TABLE_ROWS:
        _add(
            errors,
            "cap_table",
            _("A capital table has at most %(n)s shareholders.") % {"n": MAX_CAP_TABLE_ROWS},
        )
        return errors
    names = [row.name.strip().casefold() for row in rows]
    if any(not name for name in names):
        _add(errors, "cap_table", _("Every shareholder needs a name."))
    if len(set(names)) != len(names):
        _add(errors, "cap_table", _("Each shareholder appears once in the capital table."))
    if any(row.share_pct <= 0 or row.share_pct > HUNDRED for row in rows):
        _add(errors, "cap_table", _("Each share lies above 0 % and at most 100 %."))
    total = sum((row.share_pct for row in rows), Decimal(0))
    if total != HUNDRED:
        _add(
            errors,
            "cap_table",
            _("The shares add up to %(total)s; they must add up to exactly 100 %%.")
            % {"total": pct(total)},
        )
    agency_rows = [row for row in rows if row.is_agency]
    if instrument != Instrument.EQUITY:
        if agency_rows:
            _add(errors, "cap_table", _("Only an equity stake makes the agency a shareholder."))
        return errors
    if len(agency_rows) != 1:
        _add(errors, "cap_table", _("Mark exactly one row as the agency's share."))
        return errors
    agency = agency_rows[0]
    others = [row.share_pct for row in rows if not row.is_agency]
    if not others or agency.share_pct >= max(others):
        _add(
            errors,
            "cap_table",
            _(
                "The agency would be the largest shareholder (or share the largest stake); "
                "another shareholder must hold more than the agency."
            ),
        )
    return errors


def pro_rata_t(*, amount_eur: Decimal, capex_eur: Decimal, capacity_t_per_year: Decimal) -> Decimal:
    """The offtake right pro rata to the funding share of capex: amount / capex × capacity
    (at most the whole capacity), in t/yr at 6 decimal places."""
    share = min(amount_eur / capex_eur, Decimal(1))
    return (share * capacity_t_per_year).quantize(T_PLACES, rounding=ROUND_HALF_EVEN)


def check_offtake(
    *,
    instrument: str,
    material,
    t_per_year: Decimal | None,
    first_year: int | None,
    last_year: int | None,
    shortfall_reason: str,
    project_materials: dict,  # material id -> capacity t/yr (None when unknown)
    amount_eur: Decimal | None,
    capex_eur: Decimal | None,
) -> tuple[dict, Decimal | None]:
    """The offtake right: complete or absent, a CRMA material the project produces, ordered
    years, and at least pro rata to the funding share of capex unless a reason is given.
    Returns the errors and the pro-rata volume (None when it cannot be computed)."""
    errors: dict = {}
    given = [material is not None, t_per_year is not None, first_year, last_year]
    reason = shortfall_reason.strip()
    if not any(given):
        if instrument == Instrument.LOAN_GUARANTEE:
            _add(
                errors,
                "offtake_material",
                _(
                    "A loan guarantee is tied to a long-term supply contract: name the offtake right."
                ),
            )
        elif not reason:
            _add(
                errors,
                "offtake_shortfall_reason",
                _("Without an offtake right, give the reason the stake carries none."),
            )
        return errors, None
    if not all(given):
        _add(
            errors,
            "offtake_material",
            _(
                "An offtake right names the material, the tonnes a year and its first and last year."
            ),
        )
        return errors, None
    if material.crma not in CrmaStatus.values:
        _add(errors, "offtake_material", _("Only materials on the CRMA lists qualify."))
    if material.pk not in project_materials:
        _add(errors, "offtake_material", _("The project does not produce this material."))
    if t_per_year <= 0:
        _add(errors, "offtake_t_per_year", _("The offtake right must be more than 0 t a year."))
    if last_year < first_year:
        _add(errors, "offtake_last_year", _("The last year lies before the first one."))
    elif last_year - first_year + 1 > MAX_OFFTAKE_YEARS:
        _add(
            errors,
            "offtake_last_year",
            _("An offtake right runs at most %(n)s years.") % {"n": MAX_OFFTAKE_YEARS},
        )
    if errors:
        return errors, None
    capacity = project_materials.get(material.pk)
    if capex_eur is None or capacity is None or amount_eur is None:
        if not reason:
            _add(
                errors,
                "offtake_t_per_year",
                _(
                    "The pro-rata share cannot be computed: the project record lacks its capex or "
                    "this material's capacity. Complete the project, or give a reason."
                ),
            )
        return errors, None
    due = pro_rata_t(amount_eur=amount_eur, capex_eur=capex_eur, capacity_t_per_year=capacity)
    if t_per_year < due and not reason:
        _add(
            errors,
            "offtake_shortfall_reason",
            _(
                "The offtake right (%(right)s a year) is below the pro-rata share of %(due)s a "
                "year (funding share of capex × capacity); give the reason for the shortfall."
            )
            % {"right": format_tonnes(t_per_year), "due": format_tonnes(due)},
        )
    return errors, due


# Which checklist items each instrument needs (after JOGMEC's application list and the UFK
# pre-enquiry); the offtake term sheet whenever the proposal carries an offtake right.
_EVERY_INSTRUMENT = (
    DocumentItem.BUSINESS_PLAN,
    DocumentItem.FINANCING_PLAN,
    DocumentItem.TECHNICAL_REPORT,
    DocumentItem.HSE_CHECK,
    DocumentItem.MINING_RIGHTS,
    DocumentItem.REGISTRY_EXTRACT,
    DocumentItem.OFFICERS,
)
CHECKLIST = {
    Instrument.EQUITY: (*_EVERY_INSTRUMENT, DocumentItem.ECONOMICS, DocumentItem.CAP_TABLE),
    Instrument.SHAREHOLDER_LOAN: (
        *_EVERY_INSTRUMENT,
        DocumentItem.ECONOMICS,
        DocumentItem.CAP_TABLE,
    ),
    Instrument.LOAN_GUARANTEE: (*_EVERY_INSTRUMENT, DocumentItem.ECONOMICS),
    Instrument.EXPLORATION_FUNDING: _EVERY_INSTRUMENT,
}


def required_items(instrument: str, has_offtake_right: bool) -> tuple[str, ...]:
    items = CHECKLIST[Instrument(instrument)]
    if has_offtake_right:
        items = (*items, DocumentItem.OFFTAKE_TERM_SHEET)
    return tuple(items)


# Which accepted documents a stage needs before the proposal may leave it: each review looks at
# its own papers, so a stage is passed only with them accepted. Items the instrument does not need
# are left out.
STAGE_GATES = {
    ProposalStage.DRAFT: (),
    ProposalStage.SCREENING: (
        DocumentItem.BUSINESS_PLAN,
        DocumentItem.FINANCING_PLAN,
        DocumentItem.REGISTRY_EXTRACT,
        DocumentItem.OFFICERS,
    ),
    ProposalStage.TECHNICAL_DD: (DocumentItem.TECHNICAL_REPORT, DocumentItem.MINING_RIGHTS),
    ProposalStage.COMMERCIAL_REVIEW: (
        DocumentItem.ECONOMICS,
        DocumentItem.CAP_TABLE,
        DocumentItem.OFFTAKE_TERM_SHEET,
    ),
    ProposalStage.ESG_REVIEW: (DocumentItem.HSE_CHECK,),
    # The committee decides on the whole file: every item the instrument needs is accepted.
    ProposalStage.COMMITTEE: tuple(DocumentItem.values),
}


def gate_items(stage: str, instrument: str, has_offtake_right: bool) -> tuple[str, ...]:
    """The checklist items that must be accepted before a proposal leaves ``stage``."""
    needed = set(required_items(instrument, has_offtake_right))
    return tuple(item for item in STAGE_GATES.get(stage, ()) if item in needed)
