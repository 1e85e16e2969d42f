"""The home page's "needs your attention" panels show each role its own work, never other firms'."""

import re


def test_a_member_sees_its_open_rounds_with_its_own_line_count(
    login, member_a, member_b, open_round, enter
):
    enter(open_round, member_a, period="2027")
    enter(open_round, member_a, period="2028")
    for year in ("2027", "2028", "2029"):
        enter(open_round, member_b, period=year)

    page = login(member_a).get("/").content.decode()
    assert open_round.title in page
    assert "2 Zeilen Ihrer Firma" in page  # its own two lines, not the other firm's three
    assert "5 Zeilen" not in page and "3 Zeilen" not in page


def test_the_desk_sees_lines_and_firms_of_its_open_rounds(
    login, desk, member_a, member_b, open_round, enter
):
    enter(open_round, member_a, period="2027")
    enter(open_round, member_b, period="2027")
    enter(open_round, member_b, period="2028")

    page = login(desk).get("/").content.decode()
    assert open_round.title in page
    assert re.search(r"3 Zeilen,\s*2 Firmen", page)


def test_the_home_page_query_count_does_not_grow_with_rounds(login, member_a, desk, make_round):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user):
        client = login(user)
        client.get("/")  # warm up (session, translations)
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        return len(queries)

    make_round()  # one round: the desk's figures of open rounds take one query for them all
    few = {user: count(user) for user in (member_a, desk)}
    for _ in range(5):
        make_round()
    assert {user: count(user) for user in (member_a, desk)} == few
