"""The member's grid reads only the columns it shows (industry.lines.selectors.GRID_COLUMNS): its
pages are the same as from whole lines with every relation, with the same queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from industry.lines import selectors

# Different in every response: the CSRF token's mask and the scripts' nonce.
PER_RESPONSE = re.compile(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": |nonce=)"[^"]+"')


def _page(client, url, **headers) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return PER_RESPONSE.sub(r"\1TOKEN", response.content.decode()), len(queries)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    "page, headers",
    [
        ("", {}),
        ("table/", {"HTTP_HX_REQUEST": "true"}),
        ("{line}/edit/", {}),
        ("{line}/edit/", {"HTTP_HX_REQUEST": "true"}),
    ],
)
def test_the_grid_is_the_same_as_from_whole_lines(
    login, member_a, colleague_a, lines_of_every_kind, monkeypatch, page, headers, language
):
    round = lines_of_every_kind
    line = round.lines.filter(organisation=member_a.organisation, excluded=False).first()
    url = f"/rounds/{round.pk}/demand/{page.format(line=line.pk)}"
    client = login(member_a)
    client.get(url)  # the session's first use
    headers["HTTP_ACCEPT_LANGUAGE"] = language
    new, new_queries = _page(client, url, **headers)
    monkeypatch.setattr(selectors, "grid_lines", lambda lines: lines)
    old, old_queries = _page(client, url, **headers)
    assert new == old
    assert new_queries == old_queries
    assert new.count('id="line-') >= 5 and ("900.000" in new or "900,000" in new)
    assert "Ausreißer" in new and "&lt;fein&gt;" in new and colleague_a.email in new
