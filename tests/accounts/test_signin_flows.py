"""The sign-in pages with Django's test client: sign-up by phone and by email, PINs, password
reset, essential claims, login options and hints, and what the pages do not reveal."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import unquote, urlencode

import pytest
from django.core import mail
from django.test import Client as HttpClient

from accounts.models import AuditEvent, Client, OneTimePin, RefreshToken, SignInSession, User
from accounts.sms import outbox
from tests.factories import ClientFactory, UserFactory
from tests.oidc.conftest import REDIRECT, basic, query_of
from tests.signin import last_pin, password_sign_in, start

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_NUMBER = "4795550123"


@pytest.fixture
def rp(db) -> Client:
    return ClientFactory(
        name="Nordic News",
        redirect_uris=[REDIRECT],
        allowed_scopes=["openid", "profile", "email", "phone"],
        grant_types=["authorization_code"],
        skip_authorization=True,
    )


def authorize_path(client: Client, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        **params,
    }
    return "/oauth/authorize?" + urlencode(query)


def test_sign_up_by_phone_with_a_pin(anon, rp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(anon, "+47 955 50 123", next_url=authorize_path(rp))
    assert response["Location"] == "/gui/signin/pin"
    assert outbox[-1].to == NEW_NUMBER
    page = anon.get("/gui/signin/pin")
    assert b"+47 95 55 01 23" in page.content  # the number as people write it

    response = anon.post("/gui/signin/pin", {"pin": last_pin(NEW_NUMBER)})
    assert response["Location"] == "/gui/signin/signup"
    response = anon.post("/gui/signin/signup", {"name": "Nora Ny"})
    assert response.status_code == 400 and b"Accept the terms of use" in response.content
    response = anon.post("/gui/signin/signup", {"name": "Nora Ny", "terms": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/oauth/authorize")

    user = User.objects.get(phones__number=NEW_NUMBER)
    assert user.realname == "Nora Ny" and user.phones.get().verified
    assert not user.has_usable_password()  # LoA 1: no password asked for
    assert user.terms_version == "2026-01" and user.terms_accepted_at is not None
    session = SignInSession.objects.get(user=user)
    assert session.acr == "1" and session.amr == ["OTP"] and session.username == NEW_NUMBER
    callback = anon.get(response["Location"])
    assert callback["Location"].startswith(REDIRECT) and "code" in query_of(callback["Location"])


def test_sign_up_at_loa_2_asks_for_a_password_checked_by_the_validators(
    anon, rp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(anon, NEW_NUMBER, next_url=authorize_path(rp, acr_values="2"))
    assert anon.post("/gui/signin/password", {"password": "x"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert anon.post("/gui/signin/pin/start")["Location"] == "/gui/signin/pin"
    anon.post("/gui/signin/pin", {"pin": last_pin(NEW_NUMBER)})
    form = {"name": "Nora", "terms": "on", "password": "password1", "password2": "password1"}
    response = anon.post("/gui/signin/signup", form)
    assert response.status_code == 400 and b"too common" in response.content
    form.update(password="brisk otter 42", password2="brisk otter 42")
    assert anon.post("/gui/signin/signup", form).status_code == 302
    session = SignInSession.objects.get(user__phones__number=NEW_NUMBER)
    assert session.acr == "2" and session.amr == ["OTP", "UID_PWD"]


def test_known_and_unknown_numbers_look_the_same_until_the_pin(
    alice, rp, django_capture_on_commit_callbacks
):
    answers = []
    for number in ("4791111111", NEW_NUMBER):  # alice's, and nobody's
        http = HttpClient()
        with django_capture_on_commit_callbacks(execute=True):
            response = start(http, number, next_url=authorize_path(rp))
        page = http.get(response["Location"])
        answers.append((response.status_code, response["Location"], page.status_code))
        assert outbox[-1].to == number  # a PIN is sent either way
    assert answers[0] == answers[1]


def test_known_and_unknown_emails_look_the_same(alice, rp):
    answers = []
    for address in ("alice@example.com", "nobody@example.com"):
        http = HttpClient()
        response = start(http, address, next_url=authorize_path(rp))
        answers.append((response.status_code, response["Location"]))
        wrong = http.post("/gui/signin/password", {"password": "not it"})
        answers.append((wrong.status_code, wrong.content.count(b"Wrong phone number")))
    assert answers[:2] == answers[2:]


def test_pin_sign_in_of_an_existing_account(alice, rp, django_capture_on_commit_callbacks):
    http = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        start(http, "0047 911 11 111", next_url=authorize_path(rp))
    response = http.post("/gui/signin/pin", {"pin": last_pin("4791111111")})
    assert response["Location"].startswith("/oauth/authorize")
    session = SignInSession.objects.get(user=alice)
    assert session.acr == "1" and session.amr == ["OTP"]


def test_five_wrong_pins_kill_the_pin(anon, alice, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        start(anon, "4791111111")
    pin = last_pin("4791111111")
    wrong = f"{(int(pin) + 1) % 10 ** len(pin):0{len(pin)}d}"
    for _ in range(settings.PHONE_VERIFICATION_MAX_ATTEMPTS - 1):
        response = anon.post("/gui/signin/pin", {"pin": wrong})
        assert response.status_code == 400 and b"The verification code is wrong" in response.content
    response = anon.post("/gui/signin/pin", {"pin": wrong})
    assert b"Too many wrong verification codes" in response.content
    response = anon.post("/gui/signin/pin", {"pin": pin})
    assert response.status_code == 400 and "_auth_user_id" not in anon.session
    assert OneTimePin.objects.get().attempts == settings.PHONE_VERIFICATION_MAX_ATTEMPTS


def test_a_pin_is_stored_only_as_an_hmac(anon, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start(anon, "4791111111")
    stored = OneTimePin.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", stored.pin_hash)
    assert stored.pin_hash != last_pin() and len(last_pin()) == 6


def test_the_sixth_sms_to_a_number_within_the_hour_is_refused(anon, alice, settings):
    for n in range(settings.PHONE_VERIFICATION_MAX_SENDS_PER_HOUR):
        http = HttpClient(REMOTE_ADDR=f"198.51.100.{n}")  # a different caller each time
        assert start(http, "4791111111").status_code == 302
    response = start(HttpClient(REMOTE_ADDR="198.51.100.99"), "+47 911 11 111")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert b"Too many attempts" in response.content


def test_one_caller_pumping_many_numbers_is_stopped(anon, settings):
    settings.SMS_MAX_PER_IP_PER_HOUR = 3
    for n in range(3):
        assert start(anon, f"479555012{n}").status_code == 302
    assert start(anon, "4795550129").status_code == 429


def test_sms_to_one_number_range_are_capped(settings):
    settings.SMS_MAX_PER_PREFIX_PER_HOUR = 2
    for n in range(2):
        assert start(HttpClient(REMOTE_ADDR=f"203.0.113.{n}"), f"479555014{n}").status_code == 302
    response = start(HttpClient(REMOTE_ADDR="203.0.113.50"), "4795550149")
    assert response.status_code == 429


def test_sign_up_by_email_with_the_link(anon, rp, django_capture_on_commit_callbacks):
    start(anon, "New.Person@Example.com", next_url=authorize_path(rp))
    response = anon.post("/gui/signin/signup-email")
    assert response["Location"] == "/gui/signin/email-sent?what=signup"
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/gui/signup\?token=\S+)", message.body).group(1)
    page = HttpClient().get(link)  # the mail may be opened in another browser
    assert page.status_code == 200 and b"Create your CONNECT ID" in page.content
    other = HttpClient()
    form = {"name": "New Person", "terms": "on", "password": "brisk otter 42"}
    form["password2"] = form["password"]
    token = unquote(re.search(r"token=(\S+)", link).group(1))
    response = other.post("/gui/signup", {**form, "token": token})
    assert response.status_code == 302 and response["Location"].startswith("/oauth/authorize")
    user = User.objects.get(emails__address__iexact="new.person@example.com")
    assert user.emails.get().verified and user.check_password("brisk otter 42")
    assert SignInSession.objects.get(user=user).acr == "2"
    # Single use: the link now says so.
    assert other.get(link).status_code == 400


def test_sign_up_for_an_address_with_an_account_mails_a_note_instead(anon, alice):
    start(anon, "alice@example.com")
    response = anon.post("/gui/signin/signup-email")
    assert response["Location"] == "/gui/signin/email-sent?what=signup"  # the same page
    (message,) = mail.outbox
    assert message.subject == "You already have a CONNECT ID"
    assert "/gui/reset?" in message.body


def test_password_reset_by_mail_ends_every_session_and_tells_every_channel(
    alice, rp, django_capture_on_commit_callbacks
):
    elsewhere = HttpClient()
    assert password_sign_in(elsewhere, "alice@example.com", PASSWORD).status_code == 302
    RefreshToken.objects.create(user=alice, application=rp, token="rt-1", access_token=None)
    http = HttpClient()
    start(http, "alice@example.com", next_url=authorize_path(rp))
    assert http.post("/gui/signin/forgot")["Location"] == "/gui/signin/email-sent?what=reset"
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/gui/reset\?\S+)", message.body).group(1)
    assert http.get(link).status_code == 200
    mail.outbox.clear()
    params = dict(re.findall(r"(uid|token|next)=([^&\s]+)", link))
    form = {k: unquote(v) for k, v in params.items()}
    form.update(password="fresh otter 77", password2="fresh otter 77")
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/gui/reset", form)
    assert response["Location"] == "/gui/signin/password?changed=1"
    alice.refresh_from_db()
    assert alice.check_password("fresh otter 77")
    assert not SignInSession.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert not RefreshToken.objects.filter(user=alice, revoked__isnull=True).exists()
    assert [m.subject for m in mail.outbox] == ["Your CONNECT ID password was changed"]
    assert outbox[-1].to == "4791111111" and "password was changed" in outbox[-1].body
    # The link was single use (the token hashes the old password).
    assert http.get(link).status_code == 400
    # And the new password works from the page the person landed on.
    response = http.post("/gui/signin/password", {"password": "fresh otter 77"})
    assert response.status_code == 302


def test_password_reset_by_sms(alice, django_capture_on_commit_callbacks):
    http = HttpClient()
    start(http, "4791111111", **{"with": "password"})
    with django_capture_on_commit_callbacks(execute=True):
        assert http.post("/gui/signin/forgot")["Location"] == "/gui/signin/pin"
    assert "reset your password" in outbox[-1].body
    assert http.post("/gui/signin/pin", {"pin": last_pin()})["Location"] == (
        "/gui/signin/new-password"
    )
    form = {"password": "fresh otter 77", "password2": "fresh otter 77"}
    assert http.post("/gui/signin/new-password", form)["Location"].startswith(
        "/gui/signin/password"
    )
    assert http.post("/gui/signin/password", {"password": "fresh otter 77"}).status_code == 302
    assert AuditEvent.objects.filter(subject=alice.pk, action="user.password_reset").exists()


def test_a_reset_pin_for_a_number_without_an_account_sends_nothing(anon):
    start(anon, NEW_NUMBER, **{"with": "password"})
    assert anon.post("/gui/signin/forgot")["Location"] == "/gui/signin/pin"
    assert outbox == [] and anon.get("/gui/signin/pin").status_code == 200
    assert anon.post("/gui/signin/pin", {"pin": "123456"}).status_code == 400


def test_an_essential_email_is_added_during_sign_in_then_released(
    rp, bearer_client, django_capture_on_commit_callbacks
):
    UserFactory(email=None, phone="4798000001", password=None)
    http = HttpClient()
    claims = json.dumps({"userinfo": {"email": {"essential": True}}})
    path = authorize_path(rp, claims=claims)
    with django_capture_on_commit_callbacks(execute=True):
        start(http, "4798000001", next_url=path)
    http.post("/gui/signin/pin", {"pin": last_pin()})
    response = http.get(path)
    assert response["Location"].startswith("/gui/signin/add-email?next=")
    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(response["Location"], {"email": "Kari@Example.com"})
    assert page.status_code == 200 and b"Check your email" in page.content
    link = re.search(r"http://testserver(/gui/verify-email\?\S+)", mail.outbox[-1].body).group(1)
    confirm = http.get(link)
    assert b"Verify Kari@example.com" in confirm.content
    form = dict(re.findall(r'name="(token|next)" value="([^"]*)"', confirm.content.decode()))
    form = {k: html.unescape(v) for k, v in form.items()}
    response = http.post("/gui/verify-email", form)
    assert response["Location"] == path
    callback = http.get(path)
    code = query_of(callback["Location"])["code"]
    token = http.post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    ).json()
    info = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}").get("/oauth/userinfo")
    # Only the openid scope, but the essential email is released (OIDC Core §5.5).
    assert info.json()["email"] == "Kari@example.com"


def test_login_hint_prefills_the_identifier_of_the_kind_offered_first(rp):
    hints = {"login_hint": ["kari@example.com", "4791234567"]}
    path = "/oauth/authorize?" + urlencode(
        {"client_id": rp.client_id, "response_type": "code", **hints}, doseq=True
    )
    page = HttpClient().get("/gui/signin", {"next": path})
    assert b'value="4791234567"' in page.content
    Client.objects.filter(pk=rp.pk).update(login_identifiers=Client.LoginIdentifiers.EMAIL_PHONE)
    page = HttpClient().get("/gui/signin", {"next": path})
    assert b'value="kari@example.com"' in page.content and b"Email or mobile number" in page.content


def test_a_client_offering_email_only_refuses_a_phone(rp):
    Client.objects.filter(pk=rp.pk).update(login_identifiers=Client.LoginIdentifiers.EMAIL)
    http = HttpClient()
    response = start(http, "4791234567", next_url=authorize_path(rp))
    assert response.status_code == 400
    assert b"signs you in with your email address" in response.content
    assert outbox == []


def test_a_bad_identifier_is_a_clear_400(anon):
    for typed in ("", "not a number", "@", "x" * 300, "+47 12"):
        response = start(anon, typed)
        assert response.status_code == 400, typed
        assert b'role="alert"' in response.content


def test_an_open_redirect_through_next_is_refused(anon, alice):
    response = password_sign_in(
        anon, "alice@example.com", PASSWORD, next_url="https://evil.example/"
    )
    assert response["Location"] == "/"


def test_pages_are_norwegian_with_ui_locales_nb(rp):
    page = HttpClient().get("/gui/signin", {"next": authorize_path(rp, ui_locales="nb_NO nb")})
    assert b'<html lang="nb"' in page.content
    assert page["Content-Language"] == "nb"
    text = page.content.decode()
    assert "Logg inn eller opprett en CONNECT ID" in text and "Mobilnummer eller e-post" in text


def test_urdu_pages_are_right_to_left(rp):
    page = HttpClient().get("/gui/signin", {"next": authorize_path(rp, ui_locales="ur-PK")})
    assert b'<html lang="ur" dir="rtl">' in page.content


def test_accept_language_is_used_without_ui_locales(anon):
    page = anon.get("/gui/signin", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")
    assert b'<html lang="sv"' in page.content


def test_the_language_switcher_wins(anon, rp):
    response = anon.post("/i18n/setlang/", {"language": "da", "next": "/gui/signin"})
    assert response.status_code == 302
    page = anon.get("/gui/signin", {"next": authorize_path(rp, ui_locales="nb")})
    assert b'<html lang="da"' in page.content


def test_pages_have_a_strict_content_security_policy_and_the_api_none(anon):
    policy = anon.get("/gui/signin")["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "nonce-" in policy
    assert "Content-Security-Policy" not in anon.get("/oauth/.well-known/openid-configuration")


def test_the_front_page_is_a_page(anon):
    page = anon.get("/")
    assert page.status_code == 200
    assert b'href="/gui/signin"' in page.content and b"My CONNECT account" in page.content


def test_discovery_lists_the_fourteen_languages(anon):
    meta = anon.get("/.well-known/openid-configuration").json()
    assert len(meta["ui_locales_supported"]) == 14
    assert {"nb", "ur-PK", "zh-Hans", "sr-Latn", "cnr"} <= set(meta["ui_locales_supported"])


def test_a_new_code_waits_for_the_cooldown(anon, alice, settings):
    start(anon, "4791111111")
    response = anon.post("/gui/signin/pin", {"resend": "1"})
    assert response.status_code == 429 and response["Retry-After"] == "30"
    settings.PIN_RESEND_COOLDOWN = 0
    assert anon.post("/gui/signin/pin", {"resend": "1"})["Location"] == "/gui/signin/pin"
    assert OneTimePin.objects.filter(used_at__isnull=True).count() == 1  # the old one is dead


def test_the_pin_page_says_how_long_the_code_works(anon, alice, settings):
    settings.PHONE_VERIFICATION_PIN_TTL = 300
    start(anon, "4791111111")
    assert b"It works for 5 minutes." in anon.get("/gui/signin/pin").content


def test_an_essential_phone_in_the_id_token_is_added_with_a_pin(
    rp, django_capture_on_commit_callbacks
):
    UserFactory(email="nophone@example.com", phone=None)
    http = HttpClient()
    claims = json.dumps({"id_token": {"phone_number": {"essential": True}}})
    path = authorize_path(rp, claims=claims)
    password_sign_in(http, "nophone@example.com", PASSWORD, next_url=path)
    response = http.get(path)
    assert response["Location"].startswith("/gui/signin/add-phone?next=")
    with django_capture_on_commit_callbacks(execute=True):
        page = http.post(response["Location"], {"phone": "+47 955 50 177"})
    assert b"We sent a code by SMS" in page.content
    phone_id = re.search(r'name="phone_id" value="([^"]+)"', page.content.decode()).group(1)
    response = http.post(
        "/gui/signin/add-phone", {"next": path, "phone_id": phone_id, "pin": last_pin()}
    )
    assert response["Location"] == path
    code = query_of(http.get(path)["Location"])["code"]
    token = http.post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    ).json()
    payload = token["id_token"].split(".")[1]
    claims_out = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims_out["phone_number"] == "4795550177"  # released without the phone scope


def test_prompt_none_with_a_missing_essential_claim_is_interaction_required(rp):
    UserFactory(email="nophone@example.com", phone=None)
    http = HttpClient()
    claims = json.dumps({"userinfo": {"phone_number": {"essential": True}}})
    password_sign_in(http, "nophone@example.com", PASSWORD)
    response = http.get(authorize_path(rp, claims=claims, prompt="none", state="s1"))
    assert query_of(response["Location"])["error"] == "interaction_required"


def test_the_providers_cookies_have_names_of_their_own(alice):
    http = HttpClient()
    response = password_sign_in(http, "alice@example.com", PASSWORD)
    assert {"connect_session", "connect_device"} <= set(response.cookies)
    http.post("/i18n/setlang/", {"language": "nb", "next": "/"})
    assert {"connect_session", "connect_csrf", "connect_language"} <= set(http.cookies)
    # A relying party on the same host (any port) sets Django's default names: ours survive.
    http.cookies["sessionid"] = "the relying party's session"
    http.cookies["csrftoken"] = "the relying party's token"
    page = http.get("/gui/signin")
    assert page.wsgi_request.user.is_authenticated
