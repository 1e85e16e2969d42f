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
    if who == "member_a":
        assert _conditions(new_queries) == _conditions(old_queries)
    else:
        # The desk's whole round is read material by material (stored counts, ids from the
        # index): the same JSON without counting or sorting the round.
        assert not any("COUNT(" in q["sql"] for q in new_queries)
    if query == "":
        rows = new.json()["results"]
        assert len(rows) == (5 if who == "member_a" else 6)
        assert all(("firm" in row) == (who == "desk") for row in rows)
        assert {row["entered_by"] for row in rows} >= {request.getfixturevalue("colleague_a").email}
        assert any(row["excluded"] for row in rows)


def test_the_desks_pages_of_a_round_follow_the_lists_order(api, desk, lines_of_every_kind):
    """Every page of the desk's list, at any page size, gives the lines in the list's order,
    across materials, after a write too; a page costs the same queries wherever it starts."""
    from django.core.cache import cache

    from industry.models import DemandLine

    cache.clear()
    round = lines_of_every_kind
    client = api(desk)

    def expected():
        return list(
            DemandLine.objects.filter(round=round, withdrawn_at__isnull=True)
            .order_by("material__sort_order", "material_id", "first_quarter", "is_year", "pk")
            .values_list("pk", flat=True)
        )

    def pages(size):
        ids, page = [], 1
        while True:
            body = client.get(f"/api/v1/rounds/{round.pk}/demand/?page_size={size}&page={page}")
            assert body.status_code == 200
            body = body.json()
            assert body["count"] == len(expected())
            ids += [row["id"] for row in body["results"]]
            if not body["next"]:
                return ids
            page += 1

    for size in (1, 2, 4, 500):
        assert pages(size) == expected()
    DemandLine.objects.filter(pk=expected()[0]).update(withdrawn_at="2026-01-01T00:00:00Z")
    assert pages(2) == expected()
    url = f"/api/v1/rounds/{round.pk}/demand/?page_size=1&page="
    client.get(url + "1")
    with CaptureQueriesContext(connection) as first:
        client.get(url + "1")
    last_page = url + str(len(expected()))
    with CaptureQueriesContext(connection) as last:
        client.get(last_page)
    assert len(first) == len(last)
