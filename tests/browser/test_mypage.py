"""My CONNECT account in a real browser (Debian's Chromium), with the real local SMTP server and
SMS gateway: adding and verifying an email and a phone, removing a connected service (whose
refresh token the token endpoint then refuses), and "This wasn't me"."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from accounts.models import Client, Email, Phone, SignInSession
from tests.browser.conftest import REDIRECT, RelyingParty, authorize_url, sign_in
from tests.factories import UserFactory
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
    rp_site.send(page, authorize_url(live, rp, state="st-portal"))
    sign_in(page, "kari@example.com")
    page.locator("button[name=allow]").click()
    page.wait_for_url(f"{REDIRECT}?**")
    code = rp_site.last_query["code"]
    tokens = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    ).json()
    assert "refresh_token" in tokens

    page.goto("/gui/mypage/manageclientauthorizations")  # the same SSO session: no sign-in
    service = page.locator(f"#service-{rp.pk}")
    expect(service).to_contain_text("Nordic News")
    expect(service).to_contain_text("Your preferred email address")
    service.get_by_role("button", name="Remove access").click()
    expect(page.locator(".messages")).to_contain_text("Nordic News no longer has access")
    expect(page.locator(f"#service-{rp.pk}")).to_have_count(0)

    refused = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    )
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
