"""Shares, HHI and the 65 % flag on hand-computed cases (docs/supply-security.md)."""

from decimal import Decimal

from rohstoff.supply.concentration import concentration


def test_shares_and_hhi_of_a_hand_computed_case():
    # 60 + 30 + 10 = 100: shares 60 %, 30 %, 10 %; HHI 3600 + 900 + 100 = 4600.
    c = concentration(
        [("CN", "China", Decimal("60")), ("AU", "Australia", Decimal(30)), ("CL", "Chile", 10)]
    )
    assert [(s.key, s.percent) for s in c.shares] == [
        ("CN", Decimal(60)),
        ("AU", Decimal(30)),
        ("CL", Decimal(10)),
    ]
    assert c.hhi == Decimal(4600) and c.hhi_shown == Decimal(4600)


def test_thirds_round_only_for_display():
    c = concentration([("A", "A", Decimal(1)), ("B", "B", Decimal(1)), ("C", "C", Decimal(1))])
    assert c.hhi_shown == Decimal(3333)  # 3 x 33.33..² = 3333.33
    assert [s.shown for s in c.shares] == [Decimal("33.33")] * 3


def test_one_country_is_ten_thousand_and_entries_of_one_country_add_up():
    c = concentration([("CN", "China", Decimal(5)), ("CN", "China", Decimal(5))])
    assert c.hhi == Decimal(10000) and len(c.shares) == 1


def test_no_figures_no_index():
    assert concentration([]).hhi is None


def test_the_65_percent_flag_on_its_edge():
    exactly = concentration([("CN", "China", Decimal("65")), ("DE", "Germany", Decimal("35"))])
    above = concentration([("CN", "China", Decimal("65.01")), ("DE", "Germany", Decimal("34.99"))])
    assert not exactly.over_third_country_limit
    assert above.over_third_country_limit


def test_an_eu_country_is_never_the_third_country():
    c = concentration([("DE", "Germany", Decimal(90)), ("AU", "Australia", Decimal(10))])
    assert not c.over_third_country_limit
    assert c.largest_third_country.key == "AU"
