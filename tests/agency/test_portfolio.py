"""The portfolio: approved stakes only, committed and disbursed EUR by material, country,
instrument and stage for the agency; the ministry reads the totals by material, country and
instrument and nothing of a single stake or a proposal in review; the desk reads offtake rights
only; members get 404."""

import datetime
from decimal import Decimal

import pytest

from agency.models import Disbursement
from agency.portfolio import selectors
from agency.projects.services import project_save
from rohstoff.core.models import Material


@pytest.fixture
def world(analyst, project, make_stake):
    """An equity stake in AUD at 1.6 AUD/EUR (half paid out), a loan guarantee in EUR in a
    Canadian project without an offtake right, and a proposal in committee (EUR 77.7 m)."""
    refinery = project_save(
        actor=analyst,
        name="Bécancour Recycling",
        operator="Bécancour Battery Metals Inc.",
        country="CA",
        stage="recycling",
        capacities=[{"material": Material.objects.get(code="cobalt-sulphate")}],
    )
    equity = make_stake(
        project,
        amount="160000000",
        currency="AUD",
        amount_eur=Decimal("100000000"),
        fx_per_eur=Decimal("1.6"),
    )
    Disbursement.objects.create(
        proposal=equity,
        paid_on=datetime.date(2026, 6, 1),
        amount=Decimal("80000000"),
        recorded_by=analyst,
    )
    guarantee = make_stake(refinery, instrument="loan_guarantee", amount="30000000", offtake=False)
    review = make_stake(
        project, stage="committee", instrument="shareholder_loan", amount="77700000"
    )
    return {"equity": equity, "guarantee": guarantee, "review": review}


def _by(totals):
    return {t.key: (t.stakes, t.committed_eur, t.disbursed_eur) for t in totals}


def test_agency_totals(analyst, world):
    data = selectors.portfolio(user=analyst)
    assert data.stakes == 2
    assert data.committed_eur == Decimal("130000000.00")
    assert data.disbursed_eur == Decimal("50000000.00")  # AUD 80 m at 1.6
    assert _by(data.by["material"]) == {
        "lithium-hydroxide": (1, Decimal("100000000.00"), Decimal("50000000.00")),
        "cobalt-sulphate": (1, Decimal("30000000.00"), Decimal("0.00")),
    }
    assert set(_by(data.by["country"])) == {"AU", "CA"}
    assert set(_by(data.by["instrument"])) == {"equity", "loan_guarantee"}
    assert set(_by(data.by["stage"])) == {"construction", "recycling"}
    assert {line.stake.pk for line in data.lines} == {world["equity"].pk, world["guarantee"].pk}


def test_ministry_reads_totals_only(ministry, world):
    data = selectors.portfolio(user=ministry)
    assert data.lines == [] and set(data.by) == {"material", "country", "instrument"}
    assert data.committed_eur == Decimal("130000000.00")


def test_nobody_else_reads_the_portfolio(desk, member_a, world):
    assert selectors.portfolio(user=desk) is None
    assert selectors.portfolio(user=member_a) is None
    assert selectors.stake_lines(user=desk) == []


def test_portfolio_page_for_agency_and_ministry(login, analyst, ministry, world):
    page = login(analyst).get("/agency/portfolio/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Kwinana Lithium Refinery" in html and "160.000.000,00\xa0AUD" in html
    assert "chart-stage" in html and f"/agency/stakes/{world['equity'].pk}/monitoring/" in html
    page = login(ministry).get("/agency/portfolio/")
    html = page.content.decode()
    assert page.status_code == 200
    # Totals only: no project, no stake, no proposal in review, no stage dimension.
    assert "Kwinana" not in html and "Bécancour" not in html and "/monitoring/" not in html
    assert "77.700.000" not in html and "77,700,000" not in html
    assert "chart-stage" not in html and "130.000.000,00" in html


def test_portfolio_api(api, analyst, ministry, desk, member_a, world):
    body = api(analyst).get("/api/v1/agency/portfolio/").json()
    assert body["stakes"] == 2 and body["committed_eur"] == "130000000.00"
    assert {r["key"] for r in body["by_stage"]} == {"construction", "recycling"}
    row = next(r for r in body["by_material"] if r["key"] == "lithium-hydroxide")
    assert row["disbursed_eur"] == "50000000.00" and row["stakes"] == 1
    ministry_body = api(ministry).get("/api/v1/agency/portfolio/").json()
    assert "by_stage" not in ministry_body
    assert ministry_body["by_country"] == body["by_country"]
    assert api(desk).get("/api/v1/agency/portfolio/").status_code == 403
    assert api(member_a).get("/api/v1/agency/portfolio/").status_code == 404
    assert api(None).get("/api/v1/agency/portfolio/").status_code == 401


def test_offtake_rights_page(login, desk, analyst, ministry, member_a, world, make_contract):
    contract = make_contract(project=world["equity"].project)
    contract.stake = world["equity"]
    contract.save()
    html = login(desk).get("/agency/offtake-rights/").content.decode()
    assert "Kwinana Lithium Refinery" in html and contract.reference in html
    # Only the offtake right: no amount, no instrument, no proposal in review.
    assert "160.000.000" not in html and "160,000,000" not in html
    assert "Bécancour" not in html  # the guarantee has no offtake right
    assert html.count("<tr>") == 2  # head and the one right
    assert login(analyst).get("/agency/offtake-rights/").status_code == 200
    assert login(ministry).get("/agency/offtake-rights/").status_code == 403
    assert login(member_a).get("/agency/offtake-rights/").status_code == 404
    assert login(member_a).get("/agency/portfolio/").status_code == 404


def test_disbursements_are_recorded_up_to_the_amount_approved(analyst, desk, world):
    from django.core.exceptions import PermissionDenied

    from agency.portfolio.services import disbursement_record
    from rohstoff.core.errors import StateConflict, ValidationError
    from rohstoff.core.models import AuditEvent

    day = datetime.date(2026, 9, 1)
    stake = world["equity"]  # AUD 160 m, AUD 80 m paid
    disbursement_record(actor=analyst, stake=stake, paid_on=day, amount=Decimal("80000000"))
    assert AuditEvent.objects.filter(action="stake.disbursement").count() == 1
    with pytest.raises(ValidationError):
        disbursement_record(actor=analyst, stake=stake, paid_on=day, amount=Decimal("0.01"))
    with pytest.raises(StateConflict):
        disbursement_record(actor=analyst, stake=world["review"], paid_on=day, amount=Decimal("1"))
    with pytest.raises(PermissionDenied):
        disbursement_record(actor=desk, stake=stake, paid_on=day, amount=Decimal("1"))
    assert selectors.portfolio(user=analyst).disbursed_eur == Decimal("100000000.00")


def test_demo_seeds_projects_stakes_and_monitoring(db, django_capture_on_commit_callbacks):
    from agency.models import EsgCheck, MonitoringReport, Project, StakeProposal
    from contracts.models import OfftakeContract
    from rohstoff.dashboards.management.commands.seed_demo import STEPS

    for _run in range(2):  # safe to run twice
        context = {}
        for _label, step in STEPS:
            with django_capture_on_commit_callbacks(execute=True):
                context = step(context)
    countries = dict(Project.objects.values_list("name", "country"))
    assert countries["Laurentian Lithium Refinery"] == "CA"
    assert countries["Lausitz Batterierecycling"] == "DE"
    assert countries["Yilgarn Rare Earths Project"] == "AU"
    assert EsgCheck.objects.filter(project__name="Lausitz Batterierecycling").count() == 5
    stages = sorted(StakeProposal.objects.values_list("stage", flat=True))
    assert stages == ["approved", "committee", "screening", "technical_dd"]
    stake = StakeProposal.objects.get(stage="approved")
    assert stake.approvals.filter(decision="approve", voided_at__isnull=True).count() == 2
    contract = OfftakeContract.objects.get(stake=stake)
    assert contract.state == "draft" and contract.counterparty.name == stake.project.operator
    assert MonitoringReport.objects.filter(stake=stake).count() == 1
    assert stake.disbursements.count() == 1


def _portfolio_queries(client) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/agency/portfolio/")  # warm up (session, translations)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agency/portfolio/").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


# session, user, second factor; approved stakes (with project and offtake material), their
# capacities and materials, disbursements; for the agency also the latest monitoring reports
@pytest.mark.parametrize(("reader", "count"), [("analyst", 7), ("ministry", 6)])
def test_the_portfolio_page_reads_as_many_queries_for_5_stakes_as_for_1(
    request, login, project, make_stake, reader, count
):
    """A fixed number of queries whatever the number of stakes (docs/portfolio.md): the rate of
    each stake comes from its own row, the disbursements from one grouped query."""
    client = login(request.getfixturevalue(reader))
    make_stake(project, amount="160000000", currency="AUD", fx_per_eur=Decimal("1.6"))
    one = _portfolio_queries(client)
    for amount in ("1000000", "2000000", "3000000", "4000000"):
        stake = make_stake(project, amount=amount, currency="USD", amount_eur=Decimal(amount))
        Disbursement.objects.create(
            proposal=stake,
            paid_on=datetime.date(2026, 6, 1),
            amount=Decimal(amount) / 2,
            recorded_by=stake.author,
        )
    five = _portfolio_queries(client)
    assert len(one) == count, "\n".join(one)
    assert len(five) == count, "\n".join(five)
