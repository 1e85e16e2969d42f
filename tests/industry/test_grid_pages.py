"""The member's grid shows a firm's lines a page at a time; row actions keep the page."""

from industry.lines.views import LINES_PER_PAGE


def test_many_lines_are_shown_a_page_at_a_time_and_actions_keep_the_page(
    login, member_a, open_round, enter
):
    for i in range(LINES_PER_PAGE + 5):
        enter(open_round, member_a, period="2027", grade=f"spec {i:03d}")
    client = login(member_a)

    first = client.get(f"/rounds/{open_round.pk}/demand/").content.decode()
    assert first.count('data-testid="line-edit"') == LINES_PER_PAGE
    assert f"{LINES_PER_PAGE + 5} lines" in first  # the count covers every line

    second = client.get(f"/rounds/{open_round.pk}/demand/table/?page=2", HTTP_HX_REQUEST="true")
    html = second.content.decode()
    assert html.count('data-testid="line-edit"') == 5
    assert "/edit/?page=2" in html and "/withdraw/?page=2" in html
