"""A round built to test disclosure end to end: every kind of hidden figure, with values chosen to
be found by text search (no year, id or disclosed figure looks like them).

Firms F0 .. F9 (F0 is the firm of the member readers). Tonnes per quarter of 2027:

lithium hydroxide
  Q1   978.95  disclosed, split shown (firm 701.11 from F0-F4, indicative 277.84 from F5-F9)
  Q2  1109.34  disclosed, split hidden (firm 941.37 from F0-F5, indicative 167.97 from F6, F7 only)
  Q3  1237.77  hidden: three firms (firm 811.05 from F0, F1; indicative 426.72 from F2)
  Q4   863.63  hidden: complementary (the row's smallest shown cell)
lithium carbonate
  Q1   469.61  disclosed (F0-F5, firm)    Q3   351.25  disclosed (F4-F9, indicative)
terbium oxide
  Q1    18.70  disclosed   Q2  31.57  hidden: p% rule (F0 29.47 t against 0.4 t of five others)
  Q3    26.10  disclosed   Q4  17.38  hidden: complementary
element roll-ups: Li 2027-Q3 and Q4, Tb 2027-Q2 and Q4 hidden (a material cell is hidden).

A signed lithium hydroxide offtake (1,600 t in 2027: 421.39 / 407.28 / 452.87 / 318.46 t a
quarter) is allocated back-to-back and released; some firms confirm their shares, so every cell
has contracted, allocated, open and coverage figures.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.tradinghouse.conftest import add_line, aggregate, make_round  # noqa: F401

D = Decimal


def _lines(firms, tonnes, commitments):
    return list(zip(firms, tonnes, commitments, strict=True))


LINES = {
    # (material, quarter): [(firm index, tonnes, commitment), ...]
    ("lithium-hydroxide", "2027-Q1"): [
        *_lines(range(5), ("151.37", "148.92", "139.46", "133.81", "127.55"), ["firm"] * 5),
        *_lines(range(5, 10), ("61.27", "58.64", "55.39", "52.83", "49.71"), ["indicative"] * 5),
    ],
    ("lithium-hydroxide", "2027-Q2"): [
        *_lines(
            range(6), ("171.43", "166.28", "159.74", "152.36", "147.91", "143.65"), ["firm"] * 6
        ),
        (6, "88.62", "indicative"),
        (7, "79.35", "indicative"),
    ],
    ("lithium-hydroxide", "2027-Q3"): [
        (0, "412.59", "firm"),
        (1, "398.46", "firm"),
        (2, "426.72", "indicative"),
    ],
    ("lithium-hydroxide", "2027-Q4"): _lines(
        range(6), ("152.83", "149.27", "146.19", "141.58", "138.64", "135.12"), ["firm"] * 6
    ),
    ("lithium-carbonate", "2027-Q1"): _lines(
        range(6), ("84.31", "81.76", "79.42", "77.18", "74.65", "72.29"), ["firm"] * 6
    ),
    ("lithium-carbonate", "2027-Q3"): _lines(
        range(4, 10),
        ("63.47", "61.92", "59.38", "57.14", "55.83", "53.51"),
        ["indicative"] * 6,
    ),
    ("terbium-oxide", "2027-Q1"): _lines(
        range(6), ("3.47", "3.29", "3.18", "3.02", "2.91", "2.83"), ["firm"] * 6
    ),
    ("terbium-oxide", "2027-Q2"): [
        (0, "29.47", "firm"),
        *_lines(range(1, 6), ("0.43", "0.41", "0.44", "0.40", "0.42"), ["firm"] * 5),
    ],
    ("terbium-oxide", "2027-Q3"): _lines(
        range(7), ("4.16", "3.97", "3.85", "3.71", "3.58", "3.44", "3.39"), ["firm"] * 7
    ),
    ("terbium-oxide", "2027-Q4"): _lines(
        range(6), ("3.11", "2.98", "2.93", "2.85", "2.79", "2.72"), ["firm"] * 6
    ),
}

# What the rules must decide for this round (checked by the fixture, so a change of the rules
# or of the data cannot silently empty the set of secrets).
EXPECTED_HIDDEN = {
    ("lithium-hydroxide", "2027-Q3"): "few_firms",
    ("lithium-hydroxide", "2027-Q4"): "complementary",
    ("terbium-oxide", "2027-Q2"): "dominance",
    ("terbium-oxide", "2027-Q4"): "complementary",
}
EXPECTED_SPLIT_HIDDEN = {("lithium-hydroxide", "2027-Q2")}
EXPECTED_HIDDEN_ROLLUPS = {
    ("Li", "2027-Q3"),
    ("Li", "2027-Q4"),
    ("Tb", "2027-Q2"),
    ("Tb", "2027-Q4"),
}
SCHEDULE = {"2027-Q1": "421.39", "2027-Q2": "407.28", "2027-Q3": "452.87", "2027-Q4": "318.46"}
# Firms that confirm their share, per quarter (the others leave theirs proposed).
CONFIRMING = {"2027-Q1": range(5), "2027-Q2": range(4), "2027-Q3": range(2), "2027-Q4": range(4)}


@pytest.fixture
def disclosure_round(make_round, make_org, make_user, add_line, aggregate, desk, firm_a):  # noqa: F811
    from contracts.allocations import services as allocation_services
    from contracts.models import Counterparty
    from contracts.offtakes import services as offtake_services
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Quarter

    firms = [firm_a] + [make_org(f"Mitglied {i} GmbH", "member") for i in range(1, 10)]
    r = make_round(
        materials=("lithium-hydroxide", "lithium-carbonate", "terbium-oxide"),
        first="2027-Q1",
        last="2027-Q4",
        title="Runde Offenlegung",
    )
    for (material, quarter), lines in LINES.items():
        for firm, tonnes, commitment in lines:
            add_line(r, firms[firm], material, quarter, tonnes, commitment=commitment)
    job = aggregate(r)
    assert job.state == "succeeded", job.error
    r.refresh_from_db()

    counterparty = Counterparty.objects.create(
        name="Salar Andino Litio SpA", kind="producer", country="CL"
    )
    contract = offtake_services.contract_create(
        actor=desk,
        reference="OFF-DISC-001",
        counterparty=counterparty,
        round=r,
        material=Material.objects.get(code="lithium-hydroxide"),
        start_quarter=Quarter.parse("2027-Q1").index,
        end_quarter=Quarter.parse("2027-Q4").index,
        annual_volume_t=D("1600"),
        tolerance_pct=D("5"),
        take_or_pay_pct=D("0"),
        lot_size_t=D("0.001"),
        incoterm="CIF",
        incoterm_place="Hamburg",
        currency="EUR",
        price_unit="t",
        pricing_type="fixed",
        fixed_price=D("12000"),
        fee_type="percent",
        fee_value=D("2"),
    )
    offtake_services.schedule_set(
        contract=contract,
        actor=desk,
        entries={Quarter.parse(q).index: D(t) for q, t in SCHEDULE.items()},
    )
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    offtake_services.contract_transition(
        contract=contract, actor=desk, to_state="signed", signed_on=datetime.date(2026, 1, 15)
    )
    draft = allocation_services.allocation_preview(contract=contract, actor=desk)
    allocation_services.allocation_release(
        allocation_round=draft, actor=desk, respond_by=timezone.now() + datetime.timedelta(days=5)
    )
    answering = {}
    for quarter, confirming in CONFIRMING.items():
        for i in confirming:
            firm = firms[i]
            if firm.pk not in answering:
                answering[firm.pk] = make_user("member", org=firm)
            allocation_services.allocation_respond(
                allocation=draft.allocations.get(
                    quarter=Quarter.parse(quarter).index, organisation=firm
                ),
                actor=answering[firm.pk],
                accept=True,
            )
    # The positions follow contracts and confirmations after commit; in a test transaction run
    # the same refresh now (the real job, eager).
    aggregate(r)
    r.refresh_from_db()
    r.firms = firms
    r.contract = contract
    r.allocation_round = draft
    return r
