"""Accounts: e-mail sign-in, no open sign-up, password reset, rate limits, TOTP and recovery codes,
the required second factor of approver and desk, invitations, the team page and API tokens."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse

from rohstoff.core.api_auth import token_digest
from rohstoff.core.models import ApiToken, AuditEvent, Invitation, User
from rohstoff.core.services import api_token_create, invitation_create
from tests.conftest import TEST_PASSWORD, totp_code

LOGIN = "/accounts/login/"


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


# ---- signing in ------------------------------------------------------------------------------


def test_sign_in_with_e_mail_and_password(client, member_a):
    response = sign_in(client, "BUYER@firm-a.example")  # the address in any case
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == member_a


def test_wrong_password_is_refused_with_a_message(client, member_a):
    response = sign_in(client, member_a.email, "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.context["user"].is_authenticated


def test_removed_users_cannot_sign_in(client, member_a):
    member_a.is_active = False
    member_a.save()
    response = sign_in(client, member_a.email)
    assert not Client().get("/").wsgi_request.user.is_authenticated
    assert response.status_code in (200, 302)
    assert client.get("/").status_code == 302  # still sent to sign in


def test_failed_sign_ins_are_rate_limited(client, member_a):
    for _attempt in range(5):
        assert sign_in(client, member_a.email, "wrong-password").status_code == 200
    # The sixth attempt is refused even with the right password, and says why (formally).
    response = sign_in(client, member_a.email)
    assert response.status_code == 200
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in str(response.context["form"].errors)
    assert client.get("/").status_code == 302


def test_the_rate_limit_is_per_account(client, member_a, colleague_a):
    for _attempt in range(5):
        sign_in(client, member_a.email, "wrong-password")
    assert sign_in(client, colleague_a.email).status_code == 302


def test_there_is_no_open_sign_up(client, db):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "Einladung" in page.content.decode()
    client.post(
        "/accounts/signup/",
        {
            "email": "intruder@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert not User.objects.filter(email="intruder@example.com").exists()


def test_password_reset_by_e_mail(client, member_a):
    response = client.post("/accounts/password/reset/", {"email": member_a.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body
    ).group(0)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new_password = "a-brand-new-secret-2026"
    done = client.post(action, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    assert sign_in(Client(), member_a.email, new_password).status_code == 302
    assert sign_in(Client(), member_a.email, TEST_PASSWORD).status_code == 200


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


# ---- the second factor -----------------------------------------------------------------------


def test_sign_in_with_a_totp_code(client, desk):
    response = sign_in(client, desk.email)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in before the second step
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(desk.totp_secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_sign_in_with_a_recovery_code_instead(client, make_user):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    approver = make_user("agency_approver")
    codes = RecoveryCodes.activate(approver).get_unused_codes()
    sign_in(client, approver.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200
    # A recovery code works once.
    other = Client()
    sign_in(other, approver.email)
    assert other.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200


@pytest.mark.parametrize("role", ["agency_approver", "trading_desk"])
def test_approver_and_desk_are_led_through_the_set_up_of_their_second_factor(
    client, make_user, role
):
    user = make_user(role, mfa=False)
    assert sign_in(client, user.email)["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/accounts/2fa/totp/activate/"
    # Right after signing in, the set-up page asks for no second password.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "123456"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=user).exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302 and done["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert len(codes.context["unused_codes"]) == 10
    assert client.get("/").status_code == 200


def test_the_set_up_redirect_applies_to_pages_not_to_token_api_calls(make_user, api):
    desk = make_user("trading_desk", mfa=False)
    assert api(desk).get("/api/v1/materials/").status_code == 200
    session = Client()
    session.force_login(desk)
    refused = session.get("/api/v1/materials/")
    assert refused.status_code == 403
    assert "Zwei-Faktor-Authentifizierung" in refused.json()["detail"]


def test_approver_cannot_switch_the_required_factor_off(client, make_user):
    approver = make_user("agency_approver")
    sign_in(client, approver.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(approver.totp_secret)})
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    page = client.get("/accounts/2fa/totp/deactivate/")
    assert page.status_code == 200
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert Authenticator.objects.filter(user=approver, type=Authenticator.Type.TOTP).exists()


def test_staff_sign_in_asks_for_the_second_factor_and_keeps_it(client, staff):
    assert staff.totp_secret  # the fixtures give staff admins their authenticator, as the desk
    assert sign_in(client, staff.email)["Location"] == "/accounts/2fa/authenticate/"
    assert not client.session.get("_auth_user_id")  # not signed in before the second step
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(staff.totp_secret)})
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_a_member_may_switch_an_optional_factor_off(client, make_user):
    from tests.conftest import enable_totp

    member = make_user("member")
    secret = enable_totp(member)
    sign_in(client, member.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    client.post("/accounts/2fa/totp/deactivate/", {})
    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()


# ---- invitations -----------------------------------------------------------------------------


def accept_link(message) -> str:
    return re.search(r"https?://[^\s]+/invitation/[^\s/]+/", message.body).group(0)


def test_staff_invite_by_e_mail_and_the_accept_page_sets_the_password(
    login, staff, make_org, django_capture_on_commit_callbacks
):
    agency = make_org("Agentur", "agency")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(staff).post(
            "/team/",
            {
                "email": "New.Analyst@Agency.example",
                "full_name": "Nora Neu",
                "organisation": agency.pk,
                "role": "agency_analyst",
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.analyst@agency.example"]
    link = accept_link(mail.outbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = Client()
    page = anonymous.get("/" + path)
    assert page.status_code == 200 and "Nora Neu" in page.content.decode()
    weak = anonymous.post(
        "/" + path, {"full_name": "Nora Neu", "password1": "short", "password2": "short"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors
    assert not User.objects.filter(email="new.analyst@agency.example").exists()
    password = "a-long-and-private-passphrase"
    done = anonymous.post(
        "/" + path, {"full_name": "Nora Neu", "password1": password, "password2": password}
    )
    assert done.status_code == 302 and done["Location"] == LOGIN
    user = User.objects.get(email="new.analyst@agency.example")
    assert (user.organisation, user.role, user.full_name) == (agency, "agency_analyst", "Nora Neu")
    assert sign_in(Client(), user.email, password).status_code == 302
    # The link works once.
    assert anonymous.get("/" + path).status_code == 404
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "invitation.create",
        "invitation.accept",
        "user.create",
    }


def test_an_expired_or_unknown_invitation_answers_404(client, staff, firm_a):
    from datetime import timedelta

    from django.utils import timezone

    invitation, link = invitation_create(
        actor=staff, email="late@firm-a.example", organisation=firm_a, role="member"
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 404
    assert client.get("/invitation/not-a-key/").status_code == 404


def test_staff_cannot_give_a_role_of_another_kind_of_organisation(login, staff, firm_a):
    response = login(staff).post(
        "/team/", {"email": "x@firm-a.example", "organisation": firm_a.pk, "role": "trading_desk"}
    )
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert not Invitation.objects.exists() and not mail.outbox


def test_member_admin_invites_colleagues_into_its_own_firm_only(
    login, member_admin_a, firm_a, firm_b, django_capture_on_commit_callbacks
):
    client = login(member_admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(
            "/team/", {"email": "new@firm-a.example", "organisation": firm_a.pk, "role": "member"}
        )
    assert invited.status_code == 302
    assert Invitation.objects.get().organisation == firm_a
    # Another firm, or a role of another kind: refused, nothing sent.
    other_firm = client.post(
        "/team/", {"email": "spy@firm-b.example", "organisation": firm_b.pk, "role": "member"}
    )
    assert other_firm.status_code == 200 and other_firm.context["form"].errors
    other_role = client.post(
        "/team/",
        {"email": "boss@firm-a.example", "organisation": firm_a.pk, "role": "agency_approver"},
    )
    assert other_role.status_code == 200 and "role" in other_role.context["form"].errors
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


def test_a_member_admin_cannot_withdraw_another_firms_invitation_by_inviting_the_same_address(
    login, make_user, member_admin_a, firm_a, firm_b
):
    admin_b = make_user("member_admin", org=firm_b)
    login(admin_b).post(
        "/team/", {"email": "wanted@example.org", "organisation": firm_b.pk, "role": "member"}
    )
    login(member_admin_a).post(
        "/team/", {"email": "wanted@example.org", "organisation": firm_a.pk, "role": "member"}
    )
    pending = Invitation.objects.filter(revoked_at__isnull=True, accepted_at__isnull=True)
    assert sorted(pending.values_list("organisation_id", flat=True)) == sorted(
        [firm_a.pk, firm_b.pk]
    )


def test_inviting_an_address_that_has_an_account_looks_like_any_invitation(
    login, member_admin_a, member_b, firm_a, django_capture_on_commit_callbacks
):
    client = login(member_admin_a)
    answers = {}
    for email in ("new@firm-a.example", member_b.email):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/team/", {"email": email, "organisation": firm_a.pk, "role": "member"}, follow=True
            )
        answers[email] = (
            response.redirect_chain,
            [m.message.replace(email, "ADDRESS") for m in response.context["messages"]],
        )
    assert answers["new@firm-a.example"] == answers[member_b.email]
    pending = {i.email for i in client.get("/team/").context["invitations"]}
    assert pending == {"new@firm-a.example", member_b.email}
    # The new address gets its link; the account holder a note without one, in its own mailbox.
    invited, note = mail.outbox
    assert invited.to == ["new@firm-a.example"] and "/invitation/" in invited.body
    assert note.to == [member_b.email] and "/invitation/" not in note.body
    assert "bereits ein Konto" in note.body
    # Nobody can turn it into a second account for the address.
    assert User.objects.filter(email=member_b.email).count() == 1


def test_an_invitation_for_an_existing_account_cannot_be_accepted(client, member_admin_a, member_b):
    _invitation, link = invitation_create(
        actor=member_admin_a,
        email=member_b.email,
        organisation=member_admin_a.organisation,
        role="member",
    )
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.post(
        path,
        {
            "full_name": "X",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
        },
    )
    member_b.refresh_from_db()
    assert member_b.organisation != member_admin_a.organisation
    assert member_b.check_password(TEST_PASSWORD)


def test_staff_are_told_that_the_address_has_an_account(login, staff, member_b, firm_a):
    response = login(staff).post(
        "/team/", {"email": member_b.email, "organisation": firm_a.pk, "role": "member"}
    )
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert not Invitation.objects.exists() and not mail.outbox


def test_member_admin_withdraws_own_invitations_but_not_another_firms(
    login, member_admin_a, staff, firm_b
):
    own, _link = invitation_create(
        actor=member_admin_a,
        email="n@firm-a.example",
        organisation=member_admin_a.organisation,
        role="member",
    )
    foreign, _link = invitation_create(
        actor=staff, email="n@firm-b.example", organisation=firm_b, role="member"
    )
    client = login(member_admin_a)
    assert client.post(f"/team/invitations/{foreign.pk}/revoke/").status_code == 404
    assert client.post(f"/team/invitations/{own.pk}/revoke/").status_code == 302
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.revoked_at is not None and foreign.revoked_at is None


# ---- the team page: removing people, revoking their tokens -----------------------------------


def test_member_admin_sees_only_its_own_firm(login, member_admin_a, colleague_a, member_b):
    page = login(member_admin_a).get("/team/")
    people = set(page.context["colleagues"])
    assert colleague_a in people and member_admin_a in people and member_b not in people


def test_member_admin_removes_a_colleague_and_revokes_their_tokens(
    login, member_admin_a, colleague_a, api
):
    client_of_colleague = api(colleague_a)
    assert client_of_colleague.get("/api/v1/materials/").status_code == 200
    response = login(member_admin_a).post(f"/team/{colleague_a.pk}/remove/")
    assert response.status_code == 302
    colleague_a.refresh_from_db()
    assert not colleague_a.is_active
    assert not ApiToken.objects.filter(user=colleague_a, revoked_at__isnull=True).exists()
    assert client_of_colleague.get("/api/v1/materials/").status_code == 401
    event = AuditEvent.objects.get(action="user.deactivate")
    assert (event.actor, event.object_id, event.after) == (
        member_admin_a,
        str(colleague_a.pk),
        {"is_active": False},
    )


def test_member_admin_cannot_touch_another_firms_people(login, member_admin_a, member_b):
    token, _key = api_token_create(user=member_b, name="ERP")
    client = login(member_admin_a)
    assert client.post(f"/team/{member_b.pk}/remove/").status_code == 404
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    member_b.refresh_from_db()
    token.refresh_from_db()
    assert member_b.is_active and token.revoked_at is None


def test_member_admin_cannot_remove_itself(login, member_admin_a):
    login(member_admin_a).post(f"/team/{member_admin_a.pk}/remove/")
    member_admin_a.refresh_from_db()
    assert member_admin_a.is_active


def test_member_admin_revokes_a_colleagues_token(login, member_admin_a, colleague_a):
    token, _key = api_token_create(user=colleague_a, name="ERP")
    client = login(member_admin_a)
    assert token in client.get("/team/").context["tokens"]
    response = client.post(f"/account/tokens/{token.pk}/revoke/", {"next": "team"})
    assert response.status_code == 302 and response["Location"] == "/team/"
    token.refresh_from_db()
    assert token.revoked_by == member_admin_a


def test_a_plain_member_has_no_team_page_and_cannot_remove_anyone(login, member_a, colleague_a):
    client = login(member_a)
    assert client.get("/team/").status_code == 403
    assert client.post(f"/team/{colleague_a.pk}/remove/").status_code == 403
    colleague_a.refresh_from_db()
    assert colleague_a.is_active


# ---- API tokens ------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_as_its_digest(login, member_a):
    client = login(member_a)
    response = client.post("/account/tokens/", {"name": "ERP interface SAP"})
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    token = ApiToken.objects.get(user=member_a)
    assert token.digest == token_digest(key) and key not in (token.digest, token.prefix)
    assert token.prefix == key[:8]
    later = client.get("/account/tokens/")
    assert later.context["new_key"] is None and key not in later.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_a_token_works_as_authorization_header_until_revoked(login, member_a):
    token, key = api_token_create(user=member_a, name="ERP")
    api_client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/materials/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert (
        Client(HTTP_AUTHORIZATION="Token not-a-real-key").get("/api/v1/materials/").status_code
        == 401
    )
    login(member_a).post(f"/account/tokens/{token.pk}/revoke/")
    assert api_client.get("/api/v1/materials/").status_code == 401


def test_a_token_name_is_required(login, member_a):
    response = login(member_a).post("/account/tokens/", {"name": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_one_cannot_revoke_someone_elses_token(login, member_a, colleague_a):
    token, _key = api_token_create(user=colleague_a, name="ERP")
    assert login(member_a).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_admins_own_login_hands_over_to_the_platforms_sign_in(client, staff):
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    # A password alone, posted to the admin's form, signs nobody in (no rate limit, no second factor there).
    client.post(
        "/admin/login/", {"username": staff.email, "password": TEST_PASSWORD, "next": "/admin/"}
    )
    assert client.get("/admin/").status_code == 302
    assert not client.session.get("_auth_user_id")
