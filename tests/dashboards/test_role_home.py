"""Each role's home page speaks to that role: its own tile texts, and for the ministry the key
figures of the latest published positions, disclosed cells only (docs/roles-and-visibility.md)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from rohstoff.core.periods import Quarter
from tradinghouse.models import PositionCell, PositionSet

# The sidebar's neutral wording the tiles used to repeat for every role, and the member's tile.
SHARED_ROUNDS_TEXT = "den Bedarf Ihrer Firma erfassen oder Runden öffnen"
MEMBER_ROUNDS_TILE = "Erfassen Sie den Bedarf Ihrer Firma, solange eine Runde offen ist"

OWN_ROUNDS_TILE = {
    "member_a": MEMBER_ROUNDS_TILE,
    "member_admin_a": MEMBER_ROUNDS_TILE,
    "desk": "prüfen Sie als Treuhänder die Zeilen jeder Firma",
    "analyst": "Welche Nachfragerunden laufen und wann sie schließen",
    "approver": "Welche Nachfragerunden laufen und wann sie schließen",
    "ministry": "Welche Nachfragerunden den Bedarf der Industrie erhoben haben",
}
OWN_POSITIONS_TILE = {
    "member_a": "neben dem Anteil Ihrer Firma",
    "member_admin_a": "neben dem Anteil Ihrer Firma",
    "desk": "welche Zellen die Offenlegungskontrolle verbirgt",
    "analyst": "auch die vor Mitgliedern und Ministerium verborgenen",
    "approver": "auch die vor Mitgliedern und Ministerium verborgenen",
    "ministry": "Offengelegte gebündelte Nachfrage und ihre Deckung durch Verträge",
}


def tiles(page: str) -> str:
    return page.split('<ul class="tiles"', 1)[1].split("</ul>", 1)[0]


@pytest.mark.parametrize("role", sorted(OWN_ROUNDS_TILE))
def test_each_role_reads_its_own_tile_texts(request, login, role):
    user = request.getfixturevalue(role)
    page = tiles(login(user).get("/").content.decode())

    assert OWN_ROUNDS_TILE[role] in page
    assert OWN_POSITIONS_TILE[role] in page
    assert SHARED_ROUNDS_TEXT not in page
    if role not in ("member_a", "member_admin_a"):
        assert MEMBER_ROUNDS_TILE not in page
        assert "neben dem Anteil Ihrer Firma" not in page


def test_the_member_admin_reads_a_team_tile_about_its_own_firm(login, member_admin_a, member_a):
    assert "Laden Sie Kolleginnen und Kollegen Ihrer Firma ein" in tiles(
        login(member_admin_a).get("/").content.decode()
    )
    assert "/team/" not in tiles(login(member_a).get("/").content.decode())


def test_staff_reads_no_member_wording_on_its_tiles(login, staff):
    page = tiles(login(staff).get("/").content.decode())
    assert SHARED_ROUNDS_TEXT not in page and MEMBER_ROUNDS_TILE not in page
    assert "Personen in jede Organisation einladen" in page
    assert "Persönliche Schlüssel für Ihre eigenen Skripte" in page
    assert "Personen einladen und entfernen" not in page  # the neutral team text


# ---- the ministry's key figures --------------------------------------------------------------


@pytest.fixture
def published(make_round, materials):
    """published(round=None, cells=[(material, quarter, demand, contracted, disclosed, parts)])"""

    def make(cells, round=None, published_at=None):
        round = round or make_round(state="aggregated", title="Runde Frühjahr 2027")
        position_set = PositionSet.objects.create(
            round=round,
            is_current=True,
            min_firms=3,
            p_rule=Decimal("0.1"),
            published_at=published_at or timezone.now(),
        )
        for material, quarter, demand, contracted, disclosed, parts in cells:
            PositionCell.objects.create(
                position_set=position_set,
                material=material,
                quarter=quarter.index,
                demand_t=Decimal(demand),
                demand_firm_t=Decimal(demand),
                demand_indicative_t=Decimal(0),
                contributors=5 if disclosed else 2,
                largest_share=Decimal("0.3"),
                disclosed=disclosed,
                hidden_reason="" if disclosed else "few_firms",
                firm_disclosed=parts,
                indicative_disclosed=parts,
                contracted_t=Decimal(contracted),
            )
        return round

    return make


def figures(page: str) -> str:
    return page.split('id="ministry-figures-heading"', 1)[1].split("</section>", 1)[0]


def test_the_ministry_home_shows_key_figures_of_disclosed_cells_per_material(
    login, ministry, materials, published, make_round
):
    lioh, dy, ndpr, _cobalt = (materials[code] for code in materials)
    q1, q2, q3 = Quarter(2027, 1), Quarter(2027, 2), Quarter(2027, 3)
    published(
        [(lioh, q1, "999", "0", True, True)],
        round=make_round(state="aggregated", title="Runde Herbst 2026"),
        published_at=timezone.now() - datetime.timedelta(days=30),
    )
    published(
        [
            (lioh, q1, "100", "40", True, True),
            (lioh, q2, "50", "30", True, False),  # demand shown, supply hidden
            (lioh, q3, "333", "333", False, False),  # hidden cell
            (ndpr, q1, "200", "50", True, True),
            (dy, q1, "777", "12", False, False),  # only hidden cells
        ]
    )

    html = login(ministry).get("/").content.decode()
    panel = figures(html)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))

    assert "Runde Frühjahr 2027" in panel and "Runde Herbst 2026" not in panel
    assert re.search(r"Erfasste Materialien (?:&nbsp;| )*2\b", text)
    assert "3 von 5" in text  # disclosed cells of all cells
    rows = {m.name: row for m, row in ((m, _row(panel, m.name)) for m in (lioh, ndpr))}
    assert re.search(r"150\s*t", rows[lioh.name]) and re.search(r"40\s%", rows[lioh.name])
    assert re.search(r"200\s*t", rows[ndpr.name]) and re.search(r"25\s%", rows[ndpr.name])
    # Nothing of a hidden cell, and no total across different materials.
    assert dy.name not in panel
    for hidden_or_total in ("777", "333", "483", "350", "999", "26\xa0%", "25,7\xa0%"):
        assert hidden_or_total not in text


def _row(panel: str, name: str) -> str:
    return panel.split(name, 1)[1].split("</tr>", 1)[0]


def test_the_ministry_home_says_in_one_sentence_that_nothing_is_published(login, ministry):
    panel = figures(login(ministry).get("/").content.decode())
    assert "Es sind noch keine Positionen veröffentlicht." in panel
    assert "<table" not in panel


def test_the_ministry_home_reads_a_fixed_number_of_queries(
    login, ministry, materials, published, make_round, django_assert_num_queries
):
    client = login(ministry)
    codes = list(materials.values())
    published([(codes[0], Quarter(2027, 1), "100", "40", True, True)])
    client.get("/")  # warm up (session, translations)
    cache.clear()  # nothing kept: every section reads (docs/benchmarks.md, "Ministry dashboard")
    # session, user, second factor; the data's markers (rohstoff/dashboards/kept.py); key figures: current sets, their rounds, materials, the set's
    # cells; the positions panel: current sets, their rounds; supply concentration: edition,
    # materials, series, figures, schedules; CRMA tracker: materials, schedules; stockpile bands:
    # targets, holdings, the last round's cells; saved scenarios; portfolio: stakes (with their
    # capacities), disbursements; calls for offers: the latest matched calls (none here)
    with django_assert_num_queries(22):
        client.get("/")
    # kept: session, user, second factor, the markers, saved scenarios
    with django_assert_num_queries(5):
        client.get("/")

    for index in range(3):
        round = make_round(state="aggregated", title=f"Runde {index}")
        published(
            [
                (material, Quarter(2028 + index, q), "100", "10", True, q % 2 == 0)
                for material in codes
                for q in (1, 2, 3, 4)
            ],
            round=round,
        )
    # the new positions change the markers: every section reads again, as many queries
    with django_assert_num_queries(22):
        assert "Kennzahlen" in client.get("/").content.decode()
