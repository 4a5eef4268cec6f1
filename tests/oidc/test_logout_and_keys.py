"""Logout (RP-initiated, native, back-channel), discovery and signing keys."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.utils import timezone
from jwcrypto import jwk, jwt

from accounts.models import AccessToken, RefreshToken, SigningKey, SignInSession
from accounts.oidc import keys
from tests.factories import ClientFactory
from tests.oidc.conftest import REDIRECT, authorize_get, basic, exchange


class Receiver:
    """A real HTTP endpoint that records the logout tokens POSTed to it."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(parse_qs(self.rfile.read(length).decode())["logout_token"][0])
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def signed_in(browser, alice, rp, settings):
    browser.sign_in(alice)
    body = exchange(browser.http, rp, browser.authorize(rp)["code"]).json()
    return body


def jwks_of(http):
    return jwk.JWKSet.from_json(http.get("/oauth/public_keys.jwks").content)


def test_rp_initiated_logout_ends_the_session_and_redirects_with_state(
    browser, rp, signed_in, anon
):
    response = browser.http.get(
        "/oauth/logout",
        {
            "id_token_hint": signed_in["id_token"],
            "post_logout_redirect_uri": "https://rp.example.com/bye",
            "state": "bye-1",
        },
    )
    assert response.status_code == 303
    assert response["Location"] == "https://rp.example.com/bye?state=bye-1"
    assert SignInSession.objects.get().ended_at is not None
    # Every token tied to the session is revoked.
    assert (
        anon.get(
            "/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {signed_in['access_token']}"
        ).status_code
        == 401
    )
    refresh = anon.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]},
        HTTP_AUTHORIZATION=basic(rp.client_id, rp.secret),
    )
    assert refresh.status_code == 400
    # And the browser is signed out: authorize asks to sign in again.
    again = authorize_get(browser.http, rp)
    assert again["Location"].startswith("/gui/signin")


def test_an_unregistered_post_logout_redirect_uri_is_refused(browser, rp, signed_in):
    response = browser.http.get(
        "/oauth/logout",
        {
            "id_token_hint": signed_in["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 400 and "Location" not in response
    assert SignInSession.objects.get().ended_at is None  # nothing happened


def test_logout_without_id_token_hint_asks_the_user_first(browser, rp, signed_in):
    params = {
        "client_id": rp.client_id,
        "post_logout_redirect_uri": "https://rp.example.com/bye",
        "state": "s",
    }
    page = browser.http.get("/oauth/logout", params)
    assert page.status_code == 200 and b"Sign out of CONNECT ID?" in page.content
    assert SignInSession.objects.get().ended_at is None
    response = browser.http.post("/gui/signout", params)
    assert response.status_code == 303
    assert response["Location"] == "https://rp.example.com/bye?state=s"
    assert SignInSession.objects.get().ended_at is not None


def test_a_forged_id_token_hint_is_refused(browser, signed_in):
    forged = signed_in["id_token"][:-6] + "AAAAAA"
    response = browser.http.get("/oauth/logout", {"id_token_hint": forged})
    assert response.status_code == 400


def test_native_logout_by_bearer_token_ends_the_session(anon, signed_in):
    response = anon.post("/oauth/logout", HTTP_AUTHORIZATION=f"Bearer {signed_in['access_token']}")
    assert response.status_code == 204
    assert SignInSession.objects.get().ended_at is not None
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked=None).exists()
    again = anon.post("/oauth/logout", HTTP_AUTHORIZATION=f"Bearer {signed_in['access_token']}")
    assert again.status_code == 401


def test_back_channel_logout_posts_a_signed_logout_token_after_commit(
    browser, alice, receiver, settings, django_capture_on_commit_callbacks
):
    client = ClientFactory(redirect_uris=[REDIRECT], backchannel_logout_uri=receiver.url)
    bystander = ClientFactory(redirect_uris=[REDIRECT])  # registered no URI: not called
    browser.sign_in(alice)
    exchange(browser.http, client, browser.authorize(client)["code"])
    exchange(browser.http, bystander, browser.authorize(bystander)["code"])
    sid = SignInSession.objects.get().pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        browser.http.post("/gui/signout", {})
    assert len(callbacks) == 1
    assert len(receiver.received) == 1
    token = jwt.JWT(jwt=receiver.received[0], key=jwks_of(browser.http))
    header = json.loads(token.token.objects["protected"])
    claims = json.loads(token.claims)
    assert header["typ"] == "logout+jwt" and header["alg"] == "RS256"
    assert claims["iss"] == settings.ISSUER and claims["aud"] == client.client_id
    assert claims["sub"] == alice.pk and claims["sid"] == sid
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "nonce" not in claims and claims["jti"]


def test_a_retried_back_channel_logout_carries_the_same_jti(alice, anon, receiver):
    """The job decides nothing at delivery time but iat/exp: a retry (or a job recovered from a
    dead worker, tests/connect_id/test_jobs.py) is the same logout to an RP counting jtis."""
    from accounts.tasks import deliver_logout

    client = ClientFactory(redirect_uris=[REDIRECT], backchannel_logout_uri=receiver.url)
    for _attempt in range(2):
        deliver_logout(client_pk=client.pk, sub=alice.pk, sid="sid-1", jti="jti-chosen-once")
    jwks = jwks_of(anon)
    claims = [json.loads(jwt.JWT(jwt=t, key=jwks).claims) for t in receiver.received]
    assert [c["jti"] for c in claims] == ["jti-chosen-once", "jti-chosen-once"]
    assert {c["aud"] for c in claims} == {client.client_id} and {c["sid"] for c in claims} == {
        "sid-1"
    }


def test_a_refused_back_channel_logout_fails_the_attempt_for_a_retry(settings, db, monkeypatch):
    from accounts.oidc import backchannel

    for answer in (OSError("refused"), 503):

        def post(uri: str, token: str, answer=answer) -> int:
            if isinstance(answer, Exception):
                raise answer
            return answer

        monkeypatch.setattr(backchannel, "_post", post)
        with pytest.raises(backchannel.DeliveryFailed):
            backchannel.deliver("https://rp.example.com/bcl", "token", "rp")
    monkeypatch.setattr(backchannel, "_post", lambda uri, token: 204)
    backchannel.deliver("https://rp.example.com/bcl", "token", "rp")  # acknowledged


def test_no_logout_is_queued_when_ending_the_session_rolls_back(
    browser, alice, receiver, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from accounts.oidc import backchannel

    client = ClientFactory(redirect_uris=[REDIRECT], backchannel_logout_uri=receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                backchannel.notify([client], sub=alice.pk, sid="sid-1")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == [] and receiver.received == []


# --- discovery and keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/oauth/.well-known/openid-configuration", "/.well-known/openid-configuration"]
)
def test_discovery_is_complete_and_absolute(anon, path, settings):
    doc = anon.get(path).json()
    assert doc["issuer"] == settings.ISSUER
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ):
        assert doc[name].startswith("http://testserver/oauth/"), name
    assert {"openid", "profile", "email", "phone", "id.user.read"} <= set(doc["scopes_supported"])
    assert doc["acr_values_supported"] == ["1", "2"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["backchannel_logout_supported"] is True
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    assert {"email", "phone_number_verified", "acr", "sid"} <= set(doc["claims_supported"])
    assert doc["response_types_supported"] == ["code"]
    assert "max-age" in anon.get(path)["Cache-Control"]


def test_jwks_is_cacheable_and_holds_public_keys_only(anon, db):
    response = anon.get("/oauth/public_keys.jwks")
    assert "max-age" in response["Cache-Control"]
    [key] = response.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key


def test_private_keys_are_encrypted_at_rest(db):
    keys.key_set()
    stored = SigningKey.objects.get()
    assert "PRIVATE KEY" not in stored.private_key_encrypted


def test_rotate_keys_signs_with_the_new_key_and_keeps_publishing_the_old(browser, alice, rp):
    browser.sign_in(alice)
    old_kid = keys.key_set().active_kid
    call_command("rotate_keys", "--now")
    new_kid = keys.key_set().active_kid
    assert new_kid != old_kid
    published = {k["kid"] for k in browser.http.get("/oauth/public_keys.jwks").json()["keys"]}
    assert published == {old_kid, new_kid}
    body = exchange(browser.http, rp, browser.authorize(rp)["code"]).json()
    header = json.loads(jwt.JWT(jwt=body["id_token"]).token.objects["protected"])
    assert header["kid"] == new_kid


def test_a_rotated_in_key_is_published_before_it_signs(browser, alice, rp, settings):
    browser.sign_in(alice)
    old_kid = keys.key_set().active_kid
    call_command("rotate_keys")
    new = SigningKey.objects.get(retired_at=None)
    published = {k["kid"] for k in browser.http.get("/oauth/public_keys.jwks").json()["keys"]}
    assert published == {old_kid, new.kid}  # relying parties can cache it already...
    assert keys.key_set().active_kid == old_kid  # ...while the old key still signs
    # Once its time has come (OIDC_KEY_PUBLISH_AHEAD_SECONDS later), the new key signs.
    start = timezone.now() - dt.timedelta(seconds=1)
    SigningKey.objects.filter(pk=new.pk).update(activates_at=start)
    SigningKey.objects.exclude(pk=new.pk).update(retired_at=start)
    keys.invalidate_cache()
    body = exchange(browser.http, rp, browser.authorize(rp)["code"]).json()
    header = json.loads(jwt.JWT(jwt=body["id_token"]).token.objects["protected"])
    assert header["kid"] == new.kid
