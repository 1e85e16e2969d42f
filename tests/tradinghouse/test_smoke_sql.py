from decimal import Decimal

from tests.tradinghouse.conftest import cell


def test_year_split_smoke(make_round, firms, add_line, aggregate):
    r = make_round()
    add_line(r, firms[0], "lithium-hydroxide", "2027", "10.000002")
    job = aggregate(r)
    assert job.state == "succeeded", job.error
    assert cell(r, "lithium-hydroxide", "2027-Q1").demand_t == Decimal("2.500000")
    assert cell(r, "lithium-hydroxide", "2027-Q4").demand_t == Decimal("2.500002")
