"""Contracted supply by origin, the 65 % flag, the CRMA tracker and who sees tonnes
(docs/supply-security.md)."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from agency.models import Project
from rohstoff.core.periods import Quarter
from rohstoff.supply import selectors

from .conftest import AS_OF


@pytest.mark.django_db
def test_contracted_shares_by_origin_per_quarter_and_window(contract, materials, desk):
    lioh = materials["lithium-hydroxide"]
    project = Project.objects.create(name="Keliber", operator="x", country="FI", stage="production")
    contract(lioh, "CL", {"2027-Q1": "65", "2027-Q2": "30"})
    # The project's country counts, not the trader's.
    contract(lioh, "CH", {"2027-Q1": "35", "2027-Q2": "70"}, kind="trader", project=project)
    contract(lioh, "CN", {"2026-Q4": "999", "2028-Q2": "999"})  # outside the window
    result = selectors.contracted_concentrations(user=desk, as_of=AS_OF)[lioh.pk]
    q1, q2 = (c for _q, c in result.quarters)
    assert [(s.key, s.percent) for s in q1.shares] == [("CL", Decimal(65)), ("FI", Decimal(35))]
    assert q1.hhi == Decimal(65 * 65 + 35 * 35)
    assert not q1.over_third_country_limit  # exactly 65 %: not over
    assert result.window.total == Decimal(200)
    assert not result.flagged


@pytest.mark.django_db
def test_one_hundredth_over_65_percent_flags_the_material(
    contract, materials, desk, member_a, ministry
):
    lioh = materials["lithium-hydroxide"]
    contract(lioh, "CL", {"2027-Q1": "65.01"})
    contract(lioh, "DE", {"2027-Q1": "34.99"})
    result = selectors.contracted_concentrations(user=desk, as_of=AS_OF)[lioh.pk]
    assert result.flagged
    # Members and the ministry see the shares, never the tonnes.
    for reader in (member_a, ministry):
        seen = selectors.contracted_concentrations(user=reader, as_of=AS_OF)[lioh.pk]
        assert seen.flagged and seen.window.total is None
        assert all(s.value is None for s in seen.window.shares)
        assert all(c.total is None for _q, c in seen.quarters)


@pytest.mark.django_db
def test_crma_shares_by_stage_and_origin(
    contract, materials, analyst, ministry, member_a, make_round
):
    lioh = materials["lithium-hydroxide"]
    recycling = Project.objects.create(name="Recy", operator="x", country="DE", stage="recycling")
    contract(lioh, "PT", {"2027-Q1": "10"})  # mine in the EU: extracted
    contract(lioh, "DE", {"2027-Q1": "40"}, kind="refiner")  # processed in the EU
    contract(lioh, "NL", {"2027-Q1": "25"}, kind="trader", project=recycling)  # recycled in DE
    contract(lioh, "CA", {"2027-Q1": "5"}, kind="recycler")  # recycled, but not in the EU
    contract(lioh, "CN", {"2027-Q1": "20"}, kind="refiner")  # largest third country
    later = make_round(state="aggregated", title="Runde 2")
    contract(lioh, "CN", {"2027-Q2": "100"}, round=later)

    tracker = selectors.crma_tracker(user=analyst)
    first = tracker.rounds[0].figures[lioh.pk]
    assert first.total_t == Decimal(100)
    assert (first.extracted.share, first.processed.share, first.recycled.share) == (
        Decimal(10),
        Decimal(40),
        Decimal(25),
    )
    assert first.extracted.met and first.processed.met and first.recycled.met
    assert first.largest_third_country.key == "CN" and first.third_country.share == Decimal(20)
    assert first.third_country.met
    second = tracker.rounds[1].figures[lioh.pk]
    assert second.third_country.share == Decimal(100) and not second.third_country.met
    assert tracker.current[lioh.pk].total_t == Decimal(200)
    # Members and the ministry read the shares, not the tonnes.
    for reader in (member_a, ministry):
        seen = selectors.crma_tracker(user=reader)
        assert seen.current[lioh.pk].total_t is None
        assert seen.current[lioh.pk].third_country.share == Decimal(60)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_tracker_keeps_each_target_on_one_line(contract, materials, ministry, login, language):
    """A column's target ("≥ 10 %") never breaks between its sign, number and percent sign:
    on a phone "(≥" stood at the end of one line and "10 %)" on the next."""
    contract(materials["lithium-hydroxide"], "CL", {"2027-Q1": "10"})
    page = login(ministry).get("/supply/crma/", HTTP_ACCEPT_LANGUAGE=language)
    targets = re.findall(r"\([≥≤].{1,3}\d+.{1,3}%\)", page.content.decode())
    assert len(targets) >= 4
    assert all(re.fullmatch("\\([≥≤]\u00a0\\d+\u00a0%\\)", t) for t in targets), targets


@pytest.mark.django_db
def test_the_material_page_names_the_largest_third_country_of_each_quarter(
    contract, materials, ministry, login
):
    """Under "Largest third country" the country and its share, as the concentration table
    writes it: the share alone ("70 %") read as if it were a figure of its own."""
    lioh = materials["lithium-hydroxide"]
    today = timezone.localdate()
    next_quarter = str(Quarter(today.year, (today.month - 1) // 3 + 1) + 1)  # in the page's window
    contract(lioh, "CL", {next_quarter: "70"})
    contract(lioh, "DE", {next_quarter: "30"}, kind="refiner")
    page = login(ministry).get(f"/supply/materials/{lioh.code}/", HTTP_ACCEPT_LANGUAGE="de")
    quarters = page.content.decode().split('data-testid="contracted-quarters"')[1]
    quarters = quarters.split("</table>")[0]
    assert quarters.count("Chile (70\u00a0%)") == 2  # the quarter and the whole window
