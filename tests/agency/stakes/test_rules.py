"""The rules of a stake proposal (docs/stakes.md, "Rules"), each on its edge, through the service
that enforces them: nothing is written when a rule fails."""

from decimal import Decimal

import pytest

from agency.models import StakeProposal
from agency.stakes import services
from agency.stakes.rules import Shareholder
from rohstoff.core.errors import ValidationError

D = Decimal


def table(agency, *others):
    rows = [Shareholder("Rohstoffagentur", D(agency), True)]
    rows += [Shareholder(f"Aktionär {n}", D(share)) for n, share in enumerate(others, 1)]
    return rows


def refused(make_proposal, **overrides) -> dict:
    before = StakeProposal.objects.count()
    with pytest.raises(ValidationError) as exc:
        make_proposal(**overrides)
    assert StakeProposal.objects.count() == before
    return exc.value.message_dict


def test_a_proposal_that_meets_every_rule_is_written(make_proposal):
    proposal = make_proposal()
    assert proposal.revision == 1 and proposal.stage == "draft"
    assert proposal.amount_eur == D("100000000.00")
    assert proposal.cap_table.count() == 3
    # the equity checklist plus the offtake term sheet
    assert proposal.documents.count() == 10


def test_equity_share_50_needs_no_justification_50_01_does(make_proposal):
    # The share bought is the agency's part of the equity raised in the deal; its holding after
    # the deal (the cap table's agency row) is a separate figure.
    assert make_proposal(equity_share_pct=D("50")).equity_share_pct == D("50")
    errors = refused(make_proposal, equity_share_pct=D("50.01"))
    assert list(errors) == ["special_necessity"]
    assert "50,01" in errors["special_necessity"][0] or "50.01" in errors["special_necessity"][0]
    errors = refused(make_proposal, equity_share_pct=D("50.01"), special_necessity="   ")
    assert list(errors) == ["special_necessity"]
    proposal = make_proposal(
        equity_share_pct=D("50.01"), special_necessity="Einzige Quelle für Batteriequalität"
    )
    assert proposal.special_necessity == "Einzige Quelle für Batteriequalität"


def test_75_with_justification_never_above(make_proposal):
    why = {"special_necessity": "Begründung"}
    assert make_proposal(equity_share_pct=D("75"), **why).equity_share_pct == D("75")
    errors = refused(make_proposal, equity_share_pct=D("75.0001"), **why)
    assert list(errors) == ["equity_share_pct"]
    errors = refused(make_proposal, equity_share_pct=D("0"))
    assert list(errors) == ["equity_share_pct"]


def test_largest_shareholder_tie_counts_as_largest(make_proposal):
    # strictly below the largest other shareholder: fine
    assert make_proposal(cap_table=table("34.99", "35", "30.01")).pk
    # a tie with the largest other counts as the largest
    errors = refused(make_proposal, cap_table=table("35", "35", "30"))
    assert list(errors) == ["cap_table"] and "largest" in errors["cap_table"][0]
    errors = refused(make_proposal, cap_table=table("40", "35", "25"))
    assert list(errors) == ["cap_table"]
    errors = refused(make_proposal, cap_table=table("100"))
    assert "cap_table" in errors


def test_cap_table_adds_up_to_exactly_100(make_proposal):
    errors = refused(make_proposal, cap_table=table("25", "45", "29.9999"))
    assert any("100" in m for m in errors["cap_table"])
    errors = refused(make_proposal, cap_table=table("25", "45", "30.0001"))
    assert "cap_table" in errors
    errors = refused(make_proposal, cap_table=[])
    assert "cap_table" in errors


def test_cap_table_names_one_agency_row_and_each_shareholder_once(make_proposal):
    rows = [Shareholder("A", D("50")), Shareholder("B", D("50"))]
    assert "cap_table" in refused(make_proposal, cap_table=rows)
    rows = table("20", "40", "40") + [Shareholder("Noch eine Agentur", D("0.0001"), True)]
    assert "cap_table" in refused(make_proposal, cap_table=rows)
    rows = [Shareholder("A", D("30")), Shareholder(" a ", D("50")), *table("20")]
    assert "cap_table" in refused(make_proposal, cap_table=rows)


def test_equity_share_only_for_equity(make_proposal):
    errors = refused(make_proposal, instrument="shareholder_loan", cap_table=[])
    assert "equity_share_pct" in errors
    proposal = make_proposal(instrument="shareholder_loan", equity_share_pct=None, cap_table=[])
    assert proposal.equity_share_pct is None


def test_offtake_right_pro_rata_edge(make_proposal):
    # pro rata: 100 m / 400 m × 20,000 t = 5,000 t/yr
    assert make_proposal(offtake_t_per_year=D("5000")).offtake_t_per_year == D("5000")
    errors = refused(make_proposal, offtake_t_per_year=D("4999.999999"))
    assert "offtake_shortfall_reason" in errors
    proposal = make_proposal(
        offtake_t_per_year=D("4000"), offtake_shortfall_reason="Bestehende Abnahmeverträge"
    )
    assert proposal.offtake_t_per_year == D("4000")


def test_pro_rata_converts_with_the_desks_fx_rates(make_proposal, desk):
    from django.utils import timezone

    from contracts.prices.services import fx_rate_set

    errors = refused(make_proposal, currency="USD", amount=D("108000000"))
    assert "currency" in errors  # no USD rate yet
    fx_rate_set(actor=desk, currency="USD", date=timezone.localdate(), per_eur=D("1.08"))
    # USD 108 m = EUR 100 m: the same pro-rata share of 5,000 t
    proposal = make_proposal(currency="USD", amount=D("108000000"))
    assert proposal.amount_eur == D("100000000.00") and proposal.fx_per_eur == D("1.08")
    errors = refused(make_proposal, currency="USD", amount=D("108000001"))
    assert "offtake_shortfall_reason" in errors


def test_offtake_material_must_be_the_projects_and_complete(make_proposal):
    from rohstoff.core.models import Material

    errors = refused(make_proposal, offtake_material=Material.objects.get(code="ndpr-oxide"))
    assert "offtake_material" in errors
    errors = refused(make_proposal, offtake_last_year=None)
    assert "offtake_material" in errors
    errors = refused(make_proposal, offtake_first_year=2030, offtake_last_year=2029)
    assert "offtake_last_year" in errors


def test_no_offtake_right_needs_a_reason(make_proposal):
    none = {
        "offtake_material": None,
        "offtake_t_per_year": None,
        "offtake_first_year": None,
        "offtake_last_year": None,
    }
    errors = refused(make_proposal, **none)
    assert "offtake_shortfall_reason" in errors
    proposal = make_proposal(**none, offtake_shortfall_reason="Explorationsphase")
    assert not proposal.has_offtake_right
    assert not proposal.documents.filter(item="offtake_term_sheet").exists()


def test_a_loan_guarantee_needs_an_offtake_right(make_proposal):
    errors = refused(
        make_proposal,
        instrument="loan_guarantee",
        equity_share_pct=None,
        cap_table=[],
        offtake_material=None,
        offtake_t_per_year=None,
        offtake_first_year=None,
        offtake_last_year=None,
        offtake_shortfall_reason="x",
    )
    assert "offtake_material" in errors


def test_only_analysts_write_proposals(approver, project, lioh):
    from rohstoff.core.errors import StateConflict

    from .conftest import equity_data

    with pytest.raises(StateConflict):
        services.proposal_create(actor=approver, **equity_data(project, lioh))
