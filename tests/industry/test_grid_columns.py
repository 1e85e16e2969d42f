"""The member's grid reads its lines as plain values (industry.lines.selectors.grid_lines and
grid_rows): its pages say what the lines' model objects say, with the same queries."""

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


def _rows_of_objects(lines, *, round) -> list[dict]:
    """The rows from whole lines with their relations, through the models' own methods."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    return [
        {
            "pk": line.pk,
            "material_name": line.material.name,
            "period": line.period,
            "quantity": line.quantity,
            "unit": line.unit,
            "quantity_t": line.quantity_t,
            "commitment": line.commitment,
            "commitment_label": line.get_commitment_display(),
            "grade": line.grade,
            "delivery_country": line.delivery_country.code,
            "excluded": line.excluded,
            "exclusion_reason": line.exclusion_reason,
            "entered_by_name": line.entered_by.get_full_name(),
            "entered_by_label": _("by %(name)s") % {"name": line.entered_by.get_full_name()},
            "edit_url": reverse("industry:line_edit", args=[round.pk, line.pk]),
            "withdraw_url": reverse("industry:line_withdraw", args=[round.pk, line.pk]),
            "version": line.version,
        }
        for line in lines
    ]


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
def test_the_grid_says_what_the_lines_objects_say(
    login,
    member_a,
    colleague_a,
    materials,
    lines_of_every_kind,
    monkeypatch,
    page,
    headers,
    language,
):
    round = lines_of_every_kind
    line = round.lines.filter(organisation=member_a.organisation, excluded=False).first()
    url = f"/rounds/{round.pk}/demand/{page.format(line=line.pk)}"
    client = login(member_a)
    client.get(url)  # the session's first use
    headers["HTTP_ACCEPT_LANGUAGE"] = language
    new, new_queries = _page(client, url, **headers)
    monkeypatch.setattr(selectors, "grid_lines", lambda lines: lines)
    monkeypatch.setattr(selectors, "grid_rows", _rows_of_objects)
    old, old_queries = _page(client, url, **headers)
    assert new == old
    assert new_queries == old_queries
    assert new.count('<tr id="line-') == 5 and ("900.000" in new or "900,000" in new)
    assert "Ausreißer" in new and "&lt;fein&gt;" in new and colleague_a.email in new
    ndpr = materials["ndpr-oxide"]
    assert (ndpr.name_de if language == "de" else ndpr.name_en) in new
