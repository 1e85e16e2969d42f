"""A member answers all quarters of a contract on one page (docs/allocation.md, "Answering a
whole contract at once"): confirm all, a choice per quarter, all or nothing, the next contract."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.allocations import services as allocation_services
from contracts.models import Allocation, AllocationRound
from rohstoff.core.models import AuditEvent
from rohstoff.core.periods import Quarter

D = Decimal
Q1 = Quarter(2027, 1).index
QUARTERS_2027 = [Q1, Q1 + 1, Q1 + 2, Q1 + 3]


@pytest.fixture
def setting(make_contract, sign, desk, positions, firms, lioh, make_user):
    """Two released contracts (four quarters each); three firms with 6 / 6 / 4 t a quarter."""
    positions({firms[0]: D("6"), firms[1]: D("6"), firms[2]: D("4")}, lioh, QUARTERS_2027)
    rounds = []
    for day, volume in ((1, D("40")), (2, D("8"))):
        contract = sign(
            make_contract(annual_volume_t=volume), signed_on=datetime.date(2026, 1, day)
        )
        draft = allocation_services.allocation_preview(contract=contract, actor=desk)
        rounds.append(
            allocation_services.allocation_release(
                allocation_round=draft,
                actor=desk,
                respond_by=timezone.now() + datetime.timedelta(days=7 + day),
            )
        )
    return {
        "rounds": rounds,
        "member": make_user("member", org=firms[0]),
        "other": make_user("member", org=firms[1]),
        "firm": firms[0],
    }


def shares(allocation_round, firm):
    return list(
        Allocation.objects.filter(allocation_round=allocation_round, organisation=firm).order_by(
            "quarter"
        )
    )


def url(allocation_round):
    return reverse("contracts:my_allocation_answer", args=[allocation_round.pk])


def test_the_page_lists_every_quarter_with_a_choice(client, login, setting):
    login(setting["member"])
    response = client.get(url(setting["rounds"][0]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for q in QUARTERS_2027:
        assert f'name="answer_{shares(setting["rounds"][0], setting["firm"])[0].pk}"' in html
        assert str(Quarter.from_index(q)) in html
    assert "Confirm all 4 quarters" in html
    assert 'data-testid="error-summary"' not in html


def test_confirm_all_confirms_every_open_quarter_and_links_the_next_contract(
    client, login, setting
):
    first, second = setting["rounds"]
    login(setting["member"])
    response = client.post(url(first), {"action": "confirm_all"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert {a.state for a in shares(first, setting["firm"])} == {"confirmed"}
    assert AuditEvent.objects.filter(action="allocation.confirm").count() == 4
    page = client.get(url(first), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You confirmed 4 shares" in page
    assert "Every quarter of this contract is answered." in page
    assert url(second) in page and 'data-testid="next-contract"' in page
    # The second contract still waits; the first is done, so it is not linked from the second.
    page = client.get(url(second), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="confirm-all"' in page and url(first) not in page


def test_a_choice_per_quarter_and_later_for_the_rest(client, login, setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    login(setting["member"])
    response = client.post(
        url(first),
        {
            "action": "answer",
            f"answer_{a[0].pk}": "confirm",
            f"answer_{a[1].pk}": "decline",
            f"answer_{a[2].pk}": "",
        },
    )
    assert response.status_code == 302
    assert [x.state for x in shares(first, setting["firm"])] == [
        "confirmed",
        "declined",
        "proposed",
        "proposed",
    ]
    # The declined share went by the rule to the firms that have not answered yet.
    assert Allocation.objects.filter(
        allocation_round=first, quarter=Q1 + 1, redistributed_t__gt=0
    ).exists()


def test_nothing_chosen_shows_the_error_summary_linked_to_the_first_quarter(client, login, setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    login(setting["member"])
    response = client.post(url(first), {"action": "answer"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html and "There is a problem" in html
    assert f'href="#id_answer_{a[0].pk}_0"' in html
    assert f'id="id_answer_{a[0].pk}_error"' in html  # the message next to the field too
    assert {x.state for x in shares(first, setting["firm"])} == {"proposed"}


def test_a_quarter_answered_meanwhile_is_left_as_it_is(client, login, setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    login(setting["member"])
    # A colleague answered Q3 meanwhile (the page still offers it).
    form = {"action": "answer", **{f"answer_{x.pk}": "confirm" for x in a}}
    allocation_services.allocation_respond(allocation=a[2], actor=setting["member"], accept=False)
    events = AuditEvent.objects.count()
    response = client.post(url(first), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302  # Q3 is no longer open: the page shows the rest again
    # The open quarters were confirmed; the declined one stayed declined.
    assert [x.state for x in shares(first, setting["firm"])] == [
        "confirmed",
        "confirmed",
        "declined",
        "confirmed",
    ]
    assert AuditEvent.objects.count() == events + 3


def test_a_service_error_rolls_back_every_answer(setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    # The deadline passes between reading and answering: nothing of the set is written.
    AllocationRound.objects.filter(pk=first.pk).update(
        respond_by=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(allocation_services.AnswerError) as exc:
        allocation_services.allocations_respond(
            answers=dict.fromkeys(a, True), actor=setting["member"]
        )
    assert "2027-Q1" in exc.value.message and "Nothing was saved" in exc.value.message
    assert {x.state for x in shares(first, setting["firm"])} == {"proposed"}
    assert not AuditEvent.objects.filter(action="allocation.confirm").exists()


def test_one_bad_share_in_the_middle_undoes_the_ones_before(setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    Allocation.objects.filter(pk=a[2].pk).update(state="confirmed")  # answered elsewhere
    with pytest.raises(allocation_services.AnswerError) as exc:
        allocation_services.allocations_respond(
            answers=dict.fromkeys(a, False), actor=setting["member"]
        )
    assert exc.value.allocation.pk == a[2].pk
    assert [x.state for x in shares(first, setting["firm"])] == [
        "proposed",
        "proposed",
        "confirmed",
        "proposed",
    ]
    assert not Allocation.objects.filter(allocation_round=first, redistributed_t__gt=0).exists()


def test_another_firm_gets_404_and_the_desk_403(client, login, setting, make_org, make_user, desk):
    first = setting["rounds"][0]
    outsider = make_user("member", org=make_org("Fremde GmbH", "member"))
    login(outsider)
    assert client.get(url(first)).status_code == 404
    assert client.post(url(first), {"action": "confirm_all"}).status_code == 404
    login(desk)
    assert client.get(url(first)).status_code == 403


def test_the_list_and_the_share_page_link_the_answer_page(client, login, setting):
    first = setting["rounds"][0]
    login(setting["member"])
    html = client.get(reverse("contracts:my_allocations"), HTTP_ACCEPT_LANGUAGE="en").content
    assert url(first).encode() in html and url(setting["rounds"][1]).encode() in html
    a = shares(first, setting["firm"])[0]
    html = client.get(reverse("contracts:my_allocation", args=[a.pk])).content
    assert url(first).encode() in html
    # Answered one by one, the share's page links the next contract still waiting.
    client.post(reverse("contracts:my_allocation_respond", args=[a.pk]), {"answer": "confirm"})
    html = client.get(reverse("contracts:my_allocation", args=[a.pk])).content.decode()
    assert 'data-testid="next-open"' in html and url(first) in html


# ---- the API: several shares in one request ---------------------------------------------------

ANSWER = "/api/v1/allocations/answer/"


def test_the_api_answers_several_shares_at_once(api, setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    body = {
        "answers": [{"id": x.pk, "answer": "confirm"} for x in a[:3]]
        + [{"id": a[3].pk, "answer": "decline"}]
    }
    response = api(setting["member"]).post(ANSWER, body, format="json")
    assert response.status_code == 200, response.json()
    assert [row["state"] for row in response.json()] == ["confirmed"] * 3 + ["declined"]
    assert [x.state for x in shares(first, setting["firm"])] == ["confirmed"] * 3 + ["declined"]


def test_the_api_is_all_or_nothing_with_a_409_naming_the_quarter(api, setting):
    first = setting["rounds"][0]
    a = shares(first, setting["firm"])
    Allocation.objects.filter(pk=a[1].pk).update(state="confirmed")
    response = api(setting["member"]).post(
        ANSWER, {"answers": [{"id": x.pk, "answer": "decline"} for x in a]}, format="json"
    )
    assert response.status_code == 409
    assert "2027-Q2" in str(response.json())
    assert [x.state for x in shares(first, setting["firm"])] == [
        "proposed",
        "confirmed",
        "proposed",
        "proposed",
    ]


def test_the_api_answers_404_for_another_firms_share_and_400_for_bad_input(api, setting):
    first = setting["rounds"][0]
    mine = shares(first, setting["firm"])[0]
    theirs = Allocation.objects.filter(allocation_round=first).exclude(
        organisation=setting["firm"]
    )[0]
    client = api(setting["member"])
    body = {
        "answers": [{"id": mine.pk, "answer": "confirm"}, {"id": theirs.pk, "answer": "confirm"}]
    }
    assert client.post(ANSWER, body, format="json").status_code == 404
    for bad in (
        {"answers": []},
        {"answers": [{"id": mine.pk, "answer": "maybe"}]},
        {"answers": [{"id": mine.pk, "answer": "confirm"}] * 2},
        {"answers": [{"id": n, "answer": "confirm"} for n in range(501)]},
    ):
        assert client.post(ANSWER, bad, format="json").status_code == 400
    assert not Allocation.objects.filter(state__in=["confirmed", "declined"]).exists()
