"""rohstoff.core.links.row_link builds the links reverse() builds, reversing once."""

import pytest
from django.urls import reverse

from rohstoff.core.links import row_link


@pytest.mark.parametrize("name", ["industry:line_edit", "industry:line_withdraw"])
@pytest.mark.parametrize("round_pk", [1, 7, 10, 100])
def test_the_links_reverse_gives(name, round_pk):
    link = row_link(name, round_pk)
    for pk in (1, 7, 10, 100, 2_147_483_647):
        assert link(pk) == reverse(name, args=[round_pk, pk])


def test_the_id_may_sit_inside_the_path():
    link = row_link("industry:demand_grid")
    assert [link(pk) for pk in (3, 30)] == [
        reverse("industry:demand_grid", args=[pk]) for pk in (3, 30)
    ]
