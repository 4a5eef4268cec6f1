"""The sign-in pages end to end, as a person goes through them: a relying party sends the browser
to /oauth/authorize, the person types, reads the code from the SMS (a real HTTP SMS gateway)
or follows the link in the mail (a real SMTP server), and ends back at the client, whose code
gives an ID token saying how they signed in.
"""

from __future__ import annotations

import base64
import gettext
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import Client
from tests.browser.conftest import (
    PASSWORD,
    REDIRECT,
    SMS_TOKEN,
    RelyingParty,
    authorize_url,
    sign_in,
)
from tests.factories import UserFactory
from tests.servers import SmsGateway, SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "blue fjord morning 42"
NB_MO = Path(settings.BASE_DIR) / "locale" / "nb" / "LC_MESSAGES" / "django.mo"


# --- What the relying party does with the code --------------------------------------------------


def back_at_client(page: Page, rp_site: RelyingParty, live: str, state: str) -> str:
    """The browser is back at the client's redirect URI with a code for *state*; the code."""
    page.wait_for_url(f"{REDIRECT}?**")
    callback = rp_site.last_query
    assert callback.get("state") == state, callback
    assert "error" not in callback, callback
    assert callback["iss"] == f"{live}/oauth"
    return callback["code"]


def exchange(live: str, rp: Client, code: str) -> dict:
    """The client's back channel: the code for tokens (as tests/browser/test_authorize)."""
    response = requests.post(
        f"{live}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(rp.client_id, rp.secret),  # type: ignore[attr-defined]
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def id_token_claims(tokens: dict) -> dict:
    """The ID token's payload (the signature is the token endpoint tests' business)."""
    payload = tokens["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def userinfo(live: str, tokens: dict) -> dict:
    response = requests.get(
        f"{live}/oauth/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def assert_signed_in(claims: dict, *, acr: str, amr: list[str], started: float) -> None:
    assert claims["acr"] == acr, claims
    assert claims["amr"] == amr, claims
    assert isinstance(claims["auth_time"], int), claims
    assert started - 2 <= claims["auth_time"] <= time.time() + 2, claims


def allow(page: Page) -> None:
    expect(page).to_have_title("Allow Nordic News · CONNECT ID")
    page.get_by_role("button", name="Allow", exact=True).click()


# --- What the person does ---------------------------------------------------------------------


def enter_pin(page: Page, pin: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we sent you")
    page.get_by_label("Code", exact=True).fill(pin)
    page.get_by_role("button", name="Continue", exact=True).click()


def choose_password(page: Page, password: str = NEW_PASSWORD) -> None:
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("Password again").fill(password)


def wrong(pin: str, n: int) -> str:
    """A code of the same length that is not *pin*."""
    return f"{(int(pin) + n) % 10 ** len(pin):0{len(pin)}d}"


# --- Sign-up ------------------------------------------------------------------------------------


def test_sign_up_by_phone(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-new-phone"))
    page.get_by_label("Mobile number or email").fill("912 34 567")
    page.get_by_role("button", name="Continue", exact=True).click()

    # The SMS went to the gateway as JSON, with the token, in E.164.
    sms = sms_gateway.wait_for_message("+4791234567")
    assert sms.sender == settings.SMS_SENDER
    assert re.fullmatch(r"Your CONNECT ID code is \d{6}\. Do not share it with anyone\.", sms.text)
    assert sms_gateway.requests[0].headers["authorization"] == f"Bearer {SMS_TOKEN}"
    expect(page).to_have_title("Enter the code · CONNECT ID")
    expect(page.get_by_text("We sent a code by SMS to +47 91 23 45 67.")).to_be_visible()
    enter_pin(page, sms.pin)

    # An unknown number: the sign-up page for it; the terms must be accepted.
    expect(page).to_have_title("Create your CONNECT ID · CONNECT ID")
    expect(page.get_by_text("Your CONNECT ID will use +47 91 23 45 67.")).to_be_visible()
    expect(page.get_by_label("Choose a password")).to_have_count(0)  # LoA 1: no password
    page.get_by_label("Your name").fill("Nora Nordmann")
    page.get_by_role("button", name="Create my CONNECT ID").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Accept the terms of use to create an account."
    )
    expect(page.get_by_label("Your name")).to_have_value("Nora Nordmann")
    page.get_by_label("I accept the CONNECT ID terms of use and privacy notice").check()
    page.get_by_role("button", name="Create my CONNECT ID").click()

    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-new-phone"))
    assert_signed_in(id_token_claims(tokens), acr="1", amr=["OTP"], started=started)
    info = userinfo(live, tokens)
    assert info["name"] == "Nora Nordmann"
    assert info["phone_number"] == "4791234567" and info["phone_number_verified"] is True
    assert "email" not in info


def test_sign_up_by_email(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, smtp_server: SmtpServer
):
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-new-email"))
    page.get_by_label("Mobile number or email").fill("Nora@Example.com")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_title("Enter your password · CONNECT ID")
    page.get_by_role("button", name="New to CONNECT ID? Create an account with this email").click()

    expect(page).to_have_title("Check your email · CONNECT ID")
    expect(page.locator("main")).to_contain_text(
        "We sent a link to nora@example.com. Open it to continue creating your CONNECT ID."
    )
    mail = smtp_server.wait_for_message("nora@example.com")
    assert mail.subject == "Create your CONNECT ID"
    assert mail.link.startswith(f"{live}/gui/signup?token=")

    # The link, opened in the same browser: name, password, terms.
    page.goto(mail.link)
    expect(page).to_have_title("Create your CONNECT ID · CONNECT ID")
    expect(page.get_by_text("Your CONNECT ID will use nora@example.com.")).to_be_visible()
    page.get_by_label("Your name").fill("Nora Nordmann")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill("something else entirely")
    page.get_by_label("I accept the CONNECT ID terms of use and privacy notice").check()
    page.get_by_role("button", name="Create my CONNECT ID").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ.")
    choose_password(page)
    page.get_by_label("I accept the CONNECT ID terms of use and privacy notice").check()
    page.get_by_role("button", name="Create my CONNECT ID").click()

    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-new-email"))
    assert_signed_in(id_token_claims(tokens), acr="2", amr=["UID_PWD"], started=started)
    info = userinfo(live, tokens)
    assert info["name"] == "Nora Nordmann"
    assert info["email"] == "nora@example.com" and info["email_verified"] is True

    # The link works once.
    page.goto(mail.link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")

    # And the new password signs in.
    page.context.clear_cookies()
    rp_site.send(page, authorize_url(live, rp, state="st-again"))
    sign_in(page, "nora@example.com", NEW_PASSWORD)
    back_at_client(page, rp_site, live, "st-again")  # consent is remembered


# --- Sign-in ----------------------------------------------------------------------------------


def test_sign_in_by_pin_when_the_gateway_fails_once(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    UserFactory(phone="4798765432", email="kari@example.com", realname="Kari Nordmann")
    sms_gateway.fail_next(1)  # the backend retries a 503
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-pin"))
    page.get_by_label("Mobile number or email").fill("+47 987 65 432")
    page.get_by_role("button", name="Continue", exact=True).click()

    pin = sms_gateway.wait_for_pin("+4798765432")
    assert [r.status for r in sms_gateway.requests] == [503, 202]
    enter_pin(page, wrong(pin, 1))
    expect(page.get_by_role("alert")).to_contain_text("The verification code is wrong.")
    expect(page.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")
    enter_pin(page, pin)

    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-pin"))
    assert_signed_in(id_token_claims(tokens), acr="1", amr=["OTP"], started=started)
    assert userinfo(live, tokens)["name"] == "Kari Nordmann"


@pytest.mark.parametrize("typed", ["kari@example.com", "+47 987 65 432"], ids=["email", "phone"])
def test_sign_in_by_password(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway, typed: str
):
    UserFactory(phone="4798765432", email="kari@example.com", realname="Kari Nordmann")
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-pwd"))
    sign_in(page, typed)
    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-pwd"))
    assert_signed_in(id_token_claims(tokens), acr="2", amr=["UID_PWD"], started=started)
    assert sms_gateway.requests == []  # no code was texted


def test_acr_2_steps_up_a_pin_session_with_the_password(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    UserFactory(phone="4798765432", email="kari@example.com")
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-loa1"))
    page.get_by_label("Mobile number or email").fill("98765432")
    page.get_by_role("button", name="Continue", exact=True).click()
    enter_pin(page, sms_gateway.wait_for_pin("+4798765432"))
    allow(page)
    first = id_token_claims(exchange(live, rp, back_at_client(page, rp_site, live, "st-loa1")))
    assert_signed_in(first, acr="1", amr=["OTP"], started=started)

    # LoA 2 asked: the SSO session is not enough; the password page comes at once, for the
    # number already signed in (no code is texted), and the session keeps its id.
    time.sleep(1)  # so that the new auth_time is later
    rp_site.send(page, authorize_url(live, rp, state="st-loa2", acr_values="2"))
    expect(page).to_have_title("Enter your password · CONNECT ID")
    expect(page.get_by_text("Signing in as +47 98 76 54 32")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    second = id_token_claims(exchange(live, rp, back_at_client(page, rp_site, live, "st-loa2")))
    assert_signed_in(second, acr="2", amr=["UID_PWD"], started=started)
    assert second["auth_time"] > first["auth_time"]
    assert second["sub"] == first["sub"]
    assert second.get("sid") == first.get("sid")
    assert len(sms_gateway.messages) == 1


def test_essential_email_is_added_and_verified_during_sign_in(
    page: Page,
    rp: Client,
    rp_site: RelyingParty,
    live: str,
    sms_gateway: SmsGateway,
    smtp_server: SmtpServer,
):
    UserFactory(phone="4798765432", email=None, realname="Ola Nordmann")
    claims = json.dumps({"userinfo": {"email": {"essential": True}}})
    rp_site.send(
        page, authorize_url(live, rp, state="st-claims", scope="openid email", claims=claims)
    )
    page.get_by_label("Mobile number or email").fill("+4798765432")
    page.get_by_role("button", name="Continue", exact=True).click()
    enter_pin(page, sms_gateway.wait_for_pin("+4798765432"))

    page.wait_for_url(f"{live}/gui/signin/add-email?next=**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add your email address")
    expect(page.get_by_text("Nordic News needs a verified email address.")).to_be_visible()
    page.get_by_label("Email", exact=True).fill("ola@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_title("Check your email · CONNECT ID")
    expect(page.locator("main")).to_contain_text("We sent a link to ola@example.com.")

    mail = smtp_server.wait_for_message("ola@example.com")
    assert mail.subject == "Verify your email address for CONNECT ID"
    assert mail.link.startswith(f"{live}/gui/verify-email?token=")
    page.goto(mail.link)
    expect(page).to_have_title("Verify your email address · CONNECT ID")
    page.get_by_role("button", name="Verify ola@example.com").click()

    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-claims"))
    info = userinfo(live, tokens)
    assert info["email"] == "ola@example.com" and info["email_verified"] is True


# --- Forgotten passwords --------------------------------------------------------------------------


def test_password_reset_by_mail(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, smtp_server: SmtpServer
):
    UserFactory(email="kari@example.com", phone="4798765432")
    rp_site.send(page, authorize_url(live, rp, state="st-reset"))
    page.get_by_label("Mobile number or email").fill("kari@example.com")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Forgot password?").click()
    expect(page).to_have_title("Check your email · CONNECT ID")
    expect(page.locator("main")).to_contain_text(
        "If a CONNECT ID uses kari@example.com, we sent it a link to choose a new password."
    )

    mail = smtp_server.wait_for_message("kari@example.com")
    assert mail.subject == "Reset your CONNECT ID password"
    assert mail.link.startswith(f"{live}/gui/reset?uid=")
    page.goto(mail.link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    choose_password(page, "123456")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("alert")).to_be_visible()  # too common
    choose_password(page)
    page.get_by_role("button", name="Save password").click()

    expect(page).to_have_title("Enter your password · CONNECT ID")
    expect(page.get_by_role("status")).to_have_text("Your password is changed. Sign in with it.")
    expect(page.get_by_text("kari@example.com")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)  # the old one
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong phone number, email or password.")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    allow(page)
    back_at_client(page, rp_site, live, "st-reset")

    # Told of the change; the link works once.
    told = smtp_server.wait_for_message("kari@example.com", count=2)
    assert told.subject == "Your CONNECT ID password was changed"
    page.goto(mail.link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")


def test_password_reset_by_sms(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    UserFactory(phone="4798765432", email=None)
    started = time.time()
    rp_site.send(page, authorize_url(live, rp, state="st-reset-sms"))
    page.get_by_label("Mobile number or email").fill("+47 987 65 432")
    page.get_by_role("button", name="Sign in with a password instead").click()
    page.get_by_role("button", name="Forgot password?").click()

    sms = sms_gateway.wait_for_message("+4798765432")
    assert "reset your password" in sms.text
    enter_pin(page, sms.pin)
    expect(page).to_have_title("Choose a password · CONNECT ID")
    expect(page.get_by_text("For +47 98 76 54 32")).to_be_visible()
    choose_password(page)
    page.get_by_label("Password again").fill("blue fjord morning 43")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ.")
    choose_password(page)
    page.get_by_role("button", name="Save password").click()

    expect(page).to_have_title("Enter your password · CONNECT ID")
    expect(page.get_by_role("status")).to_have_text("Your password is changed. Sign in with it.")
    told = sms_gateway.wait_for_message("+4798765432", count=2)
    assert "password was changed" in told.text
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    allow(page)
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-reset-sms"))
    # The password signed in; the reset's code does not count as a second method.
    assert_signed_in(id_token_claims(tokens), acr="2", amr=["UID_PWD"], started=started)


def test_five_wrong_pins_kill_the_pin(
    page: Page,
    rp: Client,
    rp_site: RelyingParty,
    live: str,
    sms_gateway: SmsGateway,
    settings,
):
    settings.PIN_RESEND_COOLDOWN = 0
    UserFactory(phone="4798765432", email="kari@example.com")
    rp_site.send(page, authorize_url(live, rp, state="st-dead"))
    page.get_by_label("Mobile number or email").fill("+47 987 65 432")
    page.get_by_role("button", name="Continue", exact=True).click()
    pin = sms_gateway.wait_for_pin("+4798765432")

    for n in range(1, 5):
        enter_pin(page, wrong(pin, n))
        expect(page.get_by_role("alert")).to_contain_text("The verification code is wrong.")
    enter_pin(page, wrong(pin, 5))
    dead = "Too many wrong verification codes; request a new one."
    expect(page.get_by_role("alert")).to_contain_text(dead)
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)  # nothing left to type into

    # The right code, typed afterwards (the PIN page opened again), is refused too.
    page.goto(f"{live}/gui/signin/pin")
    enter_pin(page, pin)
    expect(page.get_by_role("alert")).to_contain_text(dead)

    # A new code works.
    page.get_by_role("button", name="Send a new code").click()
    enter_pin(page, sms_gateway.wait_for_pin("+4798765432", count=2))
    allow(page)
    back_at_client(page, rp_site, live, "st-dead")


# --- Norwegian --------------------------------------------------------------------------------


def norwegian() -> Callable[[str], str]:
    """Norwegian for a msgid, from locale/nb once it is compiled; English until then."""
    if not NB_MO.exists():
        return lambda text: text
    with NB_MO.open("rb") as file:
        catalog = gettext.GNUTranslations(file)
    return lambda text: re.sub(r"<[^>]+>", "", catalog.gettext(text))


def test_sign_up_and_sign_in_in_norwegian(
    page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    nb = norwegian()
    html = page.locator("html")
    continue_ = page.get_by_role("button", name=nb("Continue"), exact=True)

    # Sign-up at LoA 2 (a password is required), from a number nobody uses.
    rp_site.send(page, authorize_url(live, rp, state="st-nb", acr_values="2", ui_locales="nb"))
    page.wait_for_url(f"{live}/gui/signin?next=**")
    expect(html).to_have_attribute("lang", "nb")
    expect(html).to_have_attribute("dir", "ltr")
    if NB_MO.exists():
        expect(continue_).not_to_have_text("Continue")
    page.get_by_label(nb("Mobile number or email")).fill("+47 912 34 567")
    continue_.click()
    expect(html).to_have_attribute("lang", "nb")
    page.get_by_role("button", name=nb("Get a code by SMS instead")).click()

    sms = sms_gateway.wait_for_message("+4791234567")
    if NB_MO.exists():
        english = "Your CONNECT ID code is %(pin)s. Do not share it with anyone."
        assert sms.text == nb(english) % {"pin": sms.pin}
    expect(html).to_have_attribute("lang", "nb")
    page.get_by_label(nb("Code"), exact=True).fill(sms.pin)
    continue_.click()

    expect(html).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text(nb("Create your CONNECT ID"))
    page.get_by_label(nb("Your name")).fill("Nora Nordmann")
    page.get_by_label(nb("Choose a password")).fill(NEW_PASSWORD)
    page.get_by_label(nb("Password again")).fill(NEW_PASSWORD)
    page.locator("#id_terms").check()
    page.get_by_role("button", name=nb("Create my CONNECT ID")).click()
    expect(html).to_have_attribute("lang", "nb")
    page.get_by_role("button", name=nb("Allow"), exact=True).click()
    tokens = exchange(live, rp, back_at_client(page, rp_site, live, "st-nb"))
    claims = id_token_claims(tokens)
    assert claims["acr"] == "2" and claims["amr"] == ["OTP", "UID_PWD"], claims
    assert userinfo(live, tokens)["locale"] == "nb"  # the account keeps the language

    # A fresh browser: sign in with the password, still in Norwegian.
    page.context.clear_cookies()
    rp_site.send(page, authorize_url(live, rp, state="st-nb-2", ui_locales="nb"))
    expect(html).to_have_attribute("lang", "nb")
    page.get_by_label(nb("Mobile number or email")).fill("+47 912 34 567")
    page.get_by_role("button", name=nb("Sign in with a password instead")).click()
    expect(html).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text(nb("Enter your password"))
    page.get_by_label(nb("Password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=nb("Sign in"), exact=True).click()
    claims = id_token_claims(exchange(live, rp, back_at_client(page, rp_site, live, "st-nb-2")))
    assert claims["acr"] == "2" and claims["amr"] == ["UID_PWD"], claims
