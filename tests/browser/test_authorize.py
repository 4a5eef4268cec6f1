"""A relying party sends the browser to /oauth/authorize: sign in, consent, back to the client."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from accounts.models import Client
from tests.browser.conftest import PASSWORD, REDIRECT, RelyingParty, authorize_url, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_email_sign_in_with_a_wrong_password_then_allow(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, tmp_path: Path
):
    UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")
    scope = "openid profile email phone id.user.read"
    rp_site.send(page, authorize_url(live, rp, state="st-email", scope=scope))
    page.wait_for_url(f"{live}/gui/signin?next=**")

    # A wrong password: an inline error, and the identifier stays as typed.
    sign_in(page, "kari@example.com", "not the password")
    expect(page).to_have_title("Enter your password · CONNECT ID")
    expect(page.get_by_role("alert")).to_contain_text("Wrong phone number, email or password.")
    expect(page.get_by_text("kari@example.com")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")

    # The right password: the consent page names the client and the data in plain words.
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_title("Allow Nordic News · CONNECT ID")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic News asks for")
    expect(page.locator("ul.scopes li")).to_have_text(
        [
            "Sign you in",
            "Your name and language",
            "Your preferred email address",
            "Your preferred phone number",
            "Read your basic account information",
        ]
    )
    expect(page.get_by_text("Your daily news, read anywhere.")).to_be_visible()
    shown = page.locator("main").inner_text()
    for wire_name in ("openid", "id.user.read", "client_id", "redirect_uri", rp.client_id):
        assert wire_name not in shown
    page.screenshot(path=tmp_path / "consent.png", full_page=True)

    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{REDIRECT}?**")
    callback = rp_site.last_query
    assert callback["state"] == "st-email" and callback["code"]
    assert callback["iss"] == f"{live}/oauth"

    # The code is real: the client exchanges it for tokens.
    response = requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": REDIRECT,
        },
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert "id_token" in response.json()

    # Consent is remembered: the next authorization goes straight back to the client.
    rp_site.send(page, authorize_url(live, rp, state="st-again"))
    page.wait_for_url(f"{REDIRECT}?**state=st-again**")
    assert rp_site.last_query["code"]


def test_phone_sign_in_then_dont_allow(page: Page, rp: Client, rp_site: RelyingParty, live: str):
    UserFactory(email="ola@example.com", phone="4798765431", realname="Ola Nordmann")
    rp_site.send(page, authorize_url(live, rp, state="st-phone", scope="openid phone"))
    sign_in(page, "+47 987 65 431")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic News asks for")
    expect(page.locator("ul.scopes li")).to_have_text(
        ["Sign you in", "Your preferred phone number"]
    )

    page.get_by_role("button", name="Don't allow").click()
    page.wait_for_url(f"{REDIRECT}?**")
    callback = rp_site.last_query
    assert callback["error"] == "access_denied"
    assert callback["state"] == "st-phone"
    assert "code" not in callback


def test_login_hint_prefills_the_identifier(
    page: Page, rp: Client, rp_site: RelyingParty, live: str
):
    hinted = authorize_url(live, rp, state="st-hint", login_hint="+47 987 65 431")
    rp_site.send(page, hinted)
    expect(page).to_have_title("Sign in · CONNECT ID")
    expect(page.get_by_label("Mobile number or email")).to_have_value("+47 987 65 431")
