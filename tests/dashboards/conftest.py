from tests.industry.conftest import enter, make_round, materials, open_round  # noqa: F401
