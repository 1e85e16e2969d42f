"""The linked error summary at the top of every form page (docs/forms.md): drawn once by
base.html for every bound form with errors, our own and allauth's, each error linked to its
field, form-wide errors listed once."""

import re

from django import forms
from django.template import Context, Template

from tests.conftest import TEST_PASSWORD


def summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return match.group(0) if match else ""


def test_sign_in_with_empty_fields_links_each_field(client, db):
    html = client.post(
        "/accounts/login/", {"login": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    box = summary(html)
    assert "There is a problem" in box and 'tabindex="-1"' in box
    assert 'href="#id_login"' in box and 'href="#id_password"' in box
    assert 'id="id_login_error"' in html  # the message stays next to its field too
    # The box comes before the page's heading.
    assert html.index("error-summary") < html.index("<h1")


def test_a_wrong_password_is_listed_once_in_german(client, make_user):
    user = make_user("member", mfa=False)
    html = client.post(
        "/accounts/login/",
        {"login": user.email, "password": TEST_PASSWORD + "x"},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()
    box = summary(html)
    assert "Es gibt ein Problem" in box
    message = re.search(r"<li>(.*?)</li>", box).group(1)
    assert message and "<a" not in message  # about the form as a whole: no link
    assert html.count(message) == 1  # not a second time inside the form
    assert "errorlist nonfield" not in html


def test_our_own_forms_get_it_too(client, login, member_a):
    login(member_a)
    html = client.post("/account/tokens/", {"name": ""}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="#id_name"' in summary(html)


def test_no_summary_without_errors(client, login, member_a):
    login(member_a)
    assert 'class="error-summary"' not in client.get("/account/tokens/").content.decode()


class Pick(forms.Form):
    colour = forms.ChoiceField(choices=[("r", "red"), ("g", "green")], widget=forms.RadioSelect)
    secret = forms.CharField(widget=forms.HiddenInput)


def test_forms_in_lists_radios_and_hidden_fields():
    rows = [{"form": Pick({}, prefix="a")}, Pick({"b-colour": "r", "b-secret": "x"}, prefix="b")]
    for row in (rows[0]["form"], rows[1]):
        row.is_valid()  # as the view does; a form never checked is left alone
    unchecked = Pick({}, prefix="d")
    html = Template("{% load rohstoff_tags %}{% error_summary %}").render(
        Context({"rows": rows, "other": Pick(prefix="c"), "filters": unchecked})
    )
    # A radio group links its first option; a hidden field's error has nothing to link to.
    assert 'href="#id_a-colour_0"' in html
    assert html.count("<a ") == 1 and html.count("<li>") == 2
    assert "id_b-" not in html and "id_c-" not in html  # valid and unbound forms are left out
