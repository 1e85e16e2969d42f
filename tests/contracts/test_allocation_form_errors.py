"""The desk's allocation forms show what to fix on the page (docs/forms.md): a value the form or
the service refuses brings the allocation page back with the form open, the message at its
field and in the linked error summary; nothing is changed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.allocations import services as allocation_services
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index


@pytest.fixture
def draft(make_contract, sign, desk, positions, firms, lioh):
    positions({firms[0]: D("6"), firms[1]: D("6")}, lioh, [Q1, Q1 + 1, Q1 + 2, Q1 + 3])
    contract = sign(make_contract(annual_volume_t=D("40")))
    return allocation_services.allocation_preview(contract=contract, actor=desk)


def test_an_override_above_the_firms_demand_is_shown_at_its_field(login, desk, draft):
    share = draft.allocations.order_by("quarter", "organisation_id").first()
    response = login(desk).post(
        f"/contracts/allocations/{share.pk}/override/",
        {"quantity_t": "60", "reason": "Engpass"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#ov-{share.pk}-quantity_t"' in html
    assert f'id="ov-{share.pk}-quantity_t_error"' in html and "cannot be larger" in html
    assert 'value="Engpass"' in html  # what was typed stays
    share.refresh_from_db()
    assert share.quantity_t == share.computed_t


def test_an_override_without_a_reason_links_the_reason(login, desk, draft):
    share = draft.allocations.order_by("quarter", "organisation_id").first()
    html = (
        login(desk)
        .post(f"/contracts/allocations/{share.pk}/override/", {"quantity_t": "1", "reason": ""})
        .content.decode()
    )
    assert f'href="#ov-{share.pk}-reason"' in html


def test_a_release_deadline_in_the_past_is_shown_at_its_field(login, desk, draft):
    past = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = login(desk).post(
        f"/contracts/allocation-rounds/{draft.pk}/release/",
        {"respond_by": past},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_respond_by"' in html and "must lie in the future" in html
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_a_good_override_still_goes_back_to_its_quarter(login, desk, draft):
    share = draft.allocations.order_by("-quarter", "organisation_id").first()
    client = login(desk)
    response = client.post(
        f"/contracts/allocations/{share.pk}/override/", {"quantity_t": "4", "reason": "Engpass"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?quarter={share.period}&page=1#share-{share.pk}")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Shares in {share.period}" in page and f'id="share-{share.pk}"' in page
    share.refresh_from_db()
    assert share.quantity_t == D("4")
