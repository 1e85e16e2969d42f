"""The portfolio's section on the ministry's dashboard and the agency's home: the totals the
reader may see (docs/portfolio.md), no stake and no proposal in review. The
dashboard registers it (domain apps do not import the dashboards)."""

from . import selectors


def portfolio_totals(request) -> dict:
    data = selectors.portfolio(user=request.user)
    if data is None:
        return {"portfolio": None}
    return {"portfolio": data}
