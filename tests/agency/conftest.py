from tests.contracts.conftest import counterparty, demand_round, li2co3, lioh, make_contract  # noqa: F401
