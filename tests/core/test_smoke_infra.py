def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200


def test_member_sees_home(login, member_a):
    response = login(member_a).get("/")
    assert response.status_code == 200
    assert "Firm A GmbH" in response.content.decode()


def test_api_token_auth(api, member_a):
    assert api(member_a).get("/api/v1/materials/").status_code == 200
    assert api(None).get("/api/v1/materials/").status_code == 401
