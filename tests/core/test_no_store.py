"""Confidential responses are never kept by a browser cache or a proxy: every response to a
signed-in user and every API response says ``Cache-Control: private, no-store`` (docs/security.md).
"""

from django.test import Client


def directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def test_a_page_for_a_signed_in_user_is_not_stored(login, member_a):
    response = login(member_a).get("/materials/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_an_api_response_is_not_stored(api, member_a):
    response = api(member_a).get("/api/v1/materials/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)
    # Nor is the API's refusal of an anonymous caller.
    assert "no-store" in directives(Client().get("/api/v1/materials/"))


def test_an_export_is_not_stored(login, member_a):
    response = login(member_a).get("/contracts/allocations/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert {"private", "no-store"} <= directives(response)


def test_a_view_that_says_more_keeps_its_header(login, member_a):
    # The token page is never_cache: it keeps its own, stricter header.
    response = login(member_a).get("/account/tokens/")
    assert {"no-store", "no-cache", "must-revalidate", "private"} <= directives(response)


def test_static_files_stay_cacheable(login, member_a):
    response = login(member_a).get("/static/css/rohstoff.css")
    assert response.status_code == 200
    assert "no-store" not in directives(response)


def test_public_pages_for_anonymous_visitors_are_left_alone(client):
    assert "no-store" not in directives(client.get("/accessibility/"))
