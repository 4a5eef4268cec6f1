"""My CONNECT account in a real browser (Debian's Chromium), with the real local SMTP server and
SMS gateway: deep links and the backlink, adding and verifying an email and a phone, removing a
connected service (whose refresh token the token endpoint then refuses), "This wasn't me", the
export, and deleting the account (which can then not sign in, whose tokens are refused, and
whose email and phone are free for a new account)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page, expect

from accounts.models import Client, Email, Phone, SignInSession, User
from tests.browser.conftest import REDIRECT, RelyingParty, authorize_url, sign_in
from tests.factories import ApiCredentialFactory, UserFactory
from tests.servers import SmsGateway, SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kari(transactional_db):
    return UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")


def enter(page: Page, live: str, screen: str = "overview") -> None:
    """Open a portal screen: signed out, the sign-in pages come first, then that screen."""
    page.goto(f"/gui/mypage/{screen}")
    sign_in(page, "kari@example.com")
    page.wait_for_url(f"{live}/gui/mypage/{screen}")


def connect_service(page: Page, live: str, rp: Client, rp_site: RelyingParty) -> dict:
    """Kari signs in to Nordic News and allows it; return the tokens it gets for the code."""
    rp_site.send(page, authorize_url(live, rp, state="st-portal"))
    sign_in(page, "kari@example.com")
    page.locator("button[name=allow]").click()
    page.wait_for_url(f"{REDIRECT}?**")
    tokens = requests.post(
        f"{live}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": rp_site.last_query["code"],
            "redirect_uri": REDIRECT,
        },
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    ).json()
    assert "refresh_token" in tokens, tokens
    return tokens


def refresh(live: str, rp: Client, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    )


def test_sign_in_lands_on_the_screen_asked_for(page: Page, live: str, kari):
    enter(page, live, "manageemail")
    expect(page.get_by_role("heading", name="Email addresses", level=1)).to_be_visible()
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Hello, Kari Nordmann")).to_be_visible()


def test_add_an_email_and_verify_it_from_the_mail(
    page: Page, live: str, kari, smtp_server: SmtpServer
):
    enter(page, live, "manageemail")
    page.get_by_label("New email address").fill("kari@work.example")
    page.get_by_role("button", name="Add and send the link").click()
    expect(page.locator(".messages")).to_contain_text("We sent a verification link")
    expect(
        page.locator("#email-" + Email.objects.get(address="kari@work.example").pk)
    ).to_contain_text("Not verified")
    page.goto(smtp_server.wait_for_link("kari@work.example"))
    page.locator("main form button.primary").click()
    page.goto("/gui/mypage/manageemail")
    item = page.locator("#email-" + Email.objects.get(address="kari@work.example").pk)
    expect(item).to_contain_text("Verified")
    assert Email.objects.get(address="kari@work.example").verified


def test_add_a_phone_and_verify_it_with_the_pin_from_the_sms(
    page: Page, live: str, kari, sms_gateway: SmsGateway
):
    enter(page, live, "managephone")
    page.get_by_label("New mobile number").fill("+47 412 34 567")
    page.get_by_role("button", name="Add and send a code").click()
    expect(page.get_by_role("heading", name="Verify your number")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(sms_gateway.wait_for_pin("+4741234567"))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url(f"{live}/gui/mypage/managephone")
    expect(page.locator(".messages")).to_contain_text("+47 41 23 45 67 is verified.")
    assert Phone.objects.get(number="4741234567").verified
    assert Phone.objects.filter(user=kari).count() == 2


def test_removing_a_connected_service_makes_its_refresh_token_refused(
    page: Page, live: str, kari, rp: Client, rp_site: RelyingParty
):
    tokens = connect_service(page, live, rp, rp_site)
    page.goto("/gui/mypage/manageclientauthorizations")  # the same SSO session: no sign-in
    service = page.locator(f"#service-{rp.pk}")
    expect(service).to_contain_text("Nordic News")
    expect(service).to_contain_text("Your preferred email address")
    expect(service.locator("[data-claim=email]")).to_contain_text("kari@example.com")
    service.get_by_role("button", name="Remove access").click()
    expect(page.locator(".messages")).to_contain_text("Nordic News no longer has access")
    expect(page.locator(f"#service-{rp.pk}")).to_have_count(0)

    refused = refresh(live, rp, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_this_wasnt_me_signs_out_everywhere_and_mails_a_reset_link(
    page: Page, live: str, kari, smtp_server: SmtpServer, chromium
):
    other = chromium.new_context(base_url=live, locale="en-GB")  # Kari's other browser
    other_page = other.new_page()
    try:
        enter(other_page, live)
        enter(page, live, "security")
        page.get_by_role("button", name="This wasn't me").click()
        expect(page.get_by_role("heading", name="Your account is secured")).to_be_visible()
        expect(page.locator("main")).to_contain_text("kari@example.com")
        assert not SignInSession.objects.filter(user=kari, ended_at__isnull=True).exists()
        other_page.goto("/gui/mypage/overview")
        expect(other_page).to_have_title("Sign in · CONNECT ID")  # signed out there too
        link = smtp_server.wait_for_link("kari@example.com")
        assert "/gui/reset?" in link
    finally:
        other.close()


def test_a_deep_link_with_a_backlink_survives_sign_in_and_leads_back_to_the_service(
    page: Page, live: str, kari, rp: Client, rp_site: RelyingParty
):
    query = urlencode({"client_id": rp.client_id, "redirect_uri": REDIRECT})
    page.goto(f"/gui/mypage/managephone?{query}")
    sign_in(page, "kari@example.com")
    page.wait_for_url(f"{live}/gui/mypage/managephone?{query}")
    expect(page.get_by_role("heading", name="Phone numbers", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Back to Nordic News")).to_be_visible()
    page.get_by_role("link", name="Security log").click()
    page.wait_for_url(f"{live}/gui/mypage/security")
    page.get_by_role("link", name="Back to Nordic News").click()
    page.wait_for_url(REDIRECT)
    assert rp_site.visits[-1] == REDIRECT


def test_an_unregistered_backlink_is_not_shown(page: Page, live: str, kari, rp: Client):
    enter(page, live)
    query = urlencode({"client_id": rp.client_id, "redirect_uri": "https://evil.example/"})
    page.goto(f"/gui/mypage/overview?{query}")
    expect(page.get_by_role("heading", name="Hello, Kari Nordmann")).to_be_visible()
    expect(page.locator(".backlink")).to_have_count(0)


def test_export_downloads_a_json_file_with_my_email_and_phone(page: Page, live: str, kari):
    enter(page, live, "privacy")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert download.value.suggested_filename.endswith(".json")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["id"] == kari.pk and data["name"] == "Kari Nordmann"
    assert [e["address"] for e in data["emails"]] == ["kari@example.com"]
    assert [p["number"] for p in data["phones"]] == ["+4798765432"]


def test_a_deleted_account_cannot_sign_in_its_tokens_are_refused_and_its_ids_are_free(
    page: Page, live: str, kari, rp: Client, rp_site: RelyingParty
):
    tokens = connect_service(page, live, rp, rp_site)
    assert requests.get(
        f"{live}/oauth/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).ok
    page.goto("/gui/mypage/privacy")  # the same SSO session, signed in with the password now
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#error-summary")).to_be_visible()  # the box is not ticked yet
    assert User.objects.filter(pk=kari.pk).exists()
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    assert not User.objects.filter(pk=kari.pk).exists()

    # Its tokens are refused.
    userinfo = requests.get(
        f"{live}/oauth/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
    refused = refresh(live, rp, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    # It can no longer sign in: its old password is refused, and sign-up is offered instead.
    page.goto("/gui/mypage/overview")
    sign_in(page, "kari@example.com")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page).to_have_title("Enter your password · CONNECT ID")
    expect(page.locator("form[action$='/signin/signup-email']")).to_be_visible()
    assert "/gui/mypage/" not in page.url

    # Its email and phone are free: new accounts are created with them.
    credential = ApiCredentialFactory(operations=["users:write"])
    for username in ("kari@example.com", "4798765432"):
        created = requests.post(
            f"{live}/id/users",
            json={"username": username, "password": "a long passphrase 42"},
            auth=(credential.username, credential.secret),  # type: ignore[attr-defined]
            timeout=10,
        )
        assert created.status_code == 201, created.text
        assert created.json()["id"] != kari.pk
