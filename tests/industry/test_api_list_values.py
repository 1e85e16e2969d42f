"""The API's list of demand lines builds its rows from plain values (LineSerializer.VALUE_COLUMNS)
rather than model objects: the JSON is byte for byte what the ModelSerializer gave per line, and
the queries are the same."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import mixins

from industry.lines.api import DemandLineViewSet


def _conditions(queries) -> list[str]:
    """Each query from its WHERE on: the columns read and the tables joined for them may differ
    (values, not objects; a member's rows join no firm)."""
    return [q["sql"].split(" WHERE ", 1)[-1] for q in queries]


@pytest.mark.parametrize("who", ["member_a", "desk"])
@pytest.mark.parametrize("query", ["", "?page_size=2", "?page_size=2&page=2", "?page=9"])
def test_the_list_is_byte_identical_to_the_model_serializers(
    request, api, monkeypatch, lines_of_every_kind, who, query
):
    client = api(request.getfixturevalue(who))
    url = f"/api/v1/rounds/{lines_of_every_kind.pk}/demand/{query}"
    client.get(url)  # the token's first use writes its time
    with CaptureQueriesContext(connection) as new_queries:
        new = client.get(url)
    # The former path: model objects with their relations, each through the ModelSerializer.
    monkeypatch.setattr(DemandLineViewSet, "list", mixins.ListModelMixin.list)
    with CaptureQueriesContext(connection) as old_queries:
        old = client.get(url)
    assert new.status_code == old.status_code
    assert new.content == old.content
    assert _conditions(new_queries) == _conditions(old_queries)
    if query == "":
        rows = new.json()["results"]
        assert len(rows) == (5 if who == "member_a" else 6)
        assert all(("firm" in row) == (who == "desk") for row in rows)
        assert {row["entered_by"] for row in rows} >= {request.getfixturevalue("colleague_a").email}
        assert any(row["excluded"] for row in rows)
