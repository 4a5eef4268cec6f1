"""Levels of assurance, checked by a real OpenID Connect client (authlib) against a live server:
SMS PIN is acr 1 / amr OTP, a password acr 2 / amr UID_PWD, acr_values=2 steps an LoA 1 session
up, SSO reuse adds SSO to amr, prompt=login replaces the session, auth_time is the sign-in's."""

from __future__ import annotations

import secrets
import time
import warnings
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from accounts.models import Client, SignInSession
from tests.factories import ClientFactory, UserFactory
from tests.oidc.conftest import PASSWORD, REDIRECT
from tests.oidc.test_end_to_end import hidden_inputs
from tests.signin import last_pin

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey
    from authlib.jose import jwt as authlib_jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "4798765432"


@pytest.fixture
def live(live_server, settings):
    base = live_server.url
    settings.SITE_URL = base
    settings.ISSUER = f"{base}/oauth"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": settings.ISSUER}
    settings.ALLOWED_HOSTS = ["*"]
    return base


class RelyingParty:
    """authlib's OAuth2Session plus a cookie-keeping browser (requests) that plays the person."""

    def __init__(self, live: str, client: Client, scope: str = "openid profile email phone"):
        self.meta = requests.get(f"{live}/.well-known/openid-configuration", timeout=10).json()
        self.jwks = JsonWebKey.import_key_set(
            requests.get(self.meta["jwks_uri"], timeout=10).json()
        )
        self.client = client
        self.scope = scope
        self.browser = requests.Session()

    def authorize(self, **params: str) -> tuple[requests.Response, dict]:
        """Start an authorization; return the first response and what token() needs."""
        session = OAuth2Session(
            self.client.client_id,
            self.client.secret,  # type: ignore[attr-defined]
            scope=self.scope,
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
        )
        verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
        url, _state = session.create_authorization_url(
            self.meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
        )
        response = self.browser.get(url, allow_redirects=False)
        return response, {"session": session, "verifier": verifier, "nonce": nonce, "url": url}

    def follow(self, response: requests.Response, base: str) -> requests.Response:
        """Follow redirects on this server until one leaves for the client (or a page)."""
        while response.status_code in (302, 303) and not response.headers["Location"].startswith(
            REDIRECT
        ):
            response = self.browser.get(
                urljoin(base, response.headers["Location"]), allow_redirects=False
            )
        return response

    def post(self, url: str, data: dict) -> requests.Response:
        page = self.browser.get(url)
        return self.browser.post(
            page.url, data={**hidden_inputs(page.text), **data}, allow_redirects=False
        )

    def id_token(self, callback: str, flow: dict) -> dict:
        token = flow["session"].fetch_token(
            self.meta["token_endpoint"],
            authorization_response=callback,
            code_verifier=flow["verifier"],
        )
        claims = authlib_jwt.decode(
            token["id_token"],
            self.jwks,
            claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": self.meta["issuer"]}},
            claims_params={
                "nonce": flow["nonce"],
                "client_id": self.client.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate()  # signature, iss, aud, exp, iat, nonce, at_hash
        return dict(claims)


def pin_sign_in(rp: RelyingParty, live: str, response: requests.Response) -> requests.Response:
    signin = urljoin(live, response.headers["Location"])
    rp.browser.get(signin)
    sent = rp.post(signin, {"identifier": "+47 987 65 432"})
    assert sent.headers["Location"] == "/gui/signin/pin"
    return rp.post(f"{live}/gui/signin/pin", {"pin": last_pin(NUMBER)})


def password_page(rp: RelyingParty, live: str) -> requests.Response:
    return rp.post(f"{live}/gui/signin/password", {"password": PASSWORD})


@pytest.fixture
def client_rp(db: None) -> Client:
    return ClientFactory(
        name="LoA RP",
        redirect_uris=[REDIRECT],
        allowed_scopes=["openid", "profile", "email", "phone"],
        grant_types=["authorization_code", "refresh_token"],
        skip_authorization=True,
    )


def test_sms_pin_is_loa_1_then_acr_values_2_steps_up_in_the_same_session(live, client_rp):
    UserFactory(email="kari@example.com", phone=NUMBER)
    rp = RelyingParty(live, client_rp)

    before = int(time.time())
    first, flow = rp.authorize()
    callback = rp.follow(pin_sign_in(rp, live, first), live).headers["Location"]
    loa1 = rp.id_token(callback, flow)
    assert loa1["acr"] == "1" and loa1["amr"] == ["OTP"]
    assert before - 1 <= loa1["auth_time"] <= int(time.time()) + 1
    # spec §2.2: what the person typed, when both email and phone were asked for.
    assert loa1["td_au"] == NUMBER and loa1["td_sls"] is False

    # A service asks for LoA 2: the SMS session is not enough, a password is asked for.
    time.sleep(1.1)
    again, flow = rp.authorize(acr_values="2")
    page = rp.follow(again, live)
    assert page.status_code == 200 and "Enter your password" in page.text
    callback = rp.follow(password_page(rp, live), live).headers["Location"]
    loa2 = rp.id_token(callback, flow)
    assert loa2["acr"] == "2" and loa2["amr"] == ["UID_PWD"]
    assert loa2["auth_time"] > loa1["auth_time"]
    assert loa2["sid"] == loa1["sid"]  # stepped up, not a second session
    assert SignInSession.objects.filter(ended_at__isnull=True).count() == 1


def test_sso_reuse_adds_sso_to_amr_and_keeps_auth_time(live, client_rp):
    UserFactory(email="kari@example.com", phone=NUMBER)
    rp = RelyingParty(live, client_rp)
    first, flow = rp.authorize()
    rp.browser.get(urljoin(live, first.headers["Location"]))
    rp.post(urljoin(live, first.headers["Location"]), {"identifier": "kari@example.com"})
    callback = rp.follow(password_page(rp, live), live).headers["Location"]
    signed_in = rp.id_token(callback, flow)
    assert signed_in["acr"] == "2" and signed_in["amr"] == ["UID_PWD"]

    time.sleep(1.1)
    reused, flow = rp.authorize()
    assert reused.headers["Location"].startswith(REDIRECT)  # no page at all
    sso = rp.id_token(reused.headers["Location"], flow)
    assert sso["amr"] == ["UID_PWD", "SSO"]
    assert sso["auth_time"] == signed_in["auth_time"] and sso["sid"] == signed_in["sid"]
    # acr_values=1 is satisfied by the password session (LoA 2 >= 1).
    lower, flow = rp.authorize(acr_values="1")
    assert rp.id_token(lower.headers["Location"], flow)["acr"] == "2"


def test_prompt_login_ends_the_old_session_instead_of_stacking_one(live, client_rp):
    UserFactory(email="kari@example.com", phone=NUMBER)
    rp = RelyingParty(live, client_rp)
    first, flow = rp.authorize()
    callback = rp.follow(pin_sign_in(rp, live, first), live).headers["Location"]
    old = rp.id_token(callback, flow)

    again, flow = rp.authorize(prompt="login")
    assert "/gui/signin" in again.headers["Location"]
    assert SignInSession.objects.get(pk=old["sid"]).ended_at is not None
    callback = rp.follow(pin_sign_in(rp, live, again), live).headers["Location"]
    new = rp.id_token(callback, flow)
    assert new["sid"] != old["sid"] and "SSO" not in new["amr"]
    assert SignInSession.objects.filter(ended_at__isnull=True).count() == 1


def test_max_age_forces_a_fresh_sign_in(live, client_rp):
    UserFactory(email="kari@example.com", phone=NUMBER)
    rp = RelyingParty(live, client_rp)
    first, flow = rp.authorize()
    rp.id_token(rp.follow(pin_sign_in(rp, live, first), live).headers["Location"], flow)
    time.sleep(1.1)
    again, flow = rp.authorize(max_age="0")
    assert "/gui/signin" in again.headers["Location"]
    fresh = rp.id_token(rp.follow(pin_sign_in(rp, live, again), live).headers["Location"], flow)
    assert fresh["amr"] == ["OTP"] and int(time.time()) - fresh["auth_time"] <= 2


def test_an_unticked_stay_signed_in_gives_td_sls_and_a_browser_session_cookie(live, client_rp):
    Client.objects.filter(pk=client_rp.pk).update(stay_signed_in=Client.StaySignedIn.TICKED)
    UserFactory(email="kari@example.com", phone=NUMBER)
    rp = RelyingParty(live, client_rp)
    first, flow = rp.authorize()
    signin = urljoin(live, first.headers["Location"])
    rp.browser.get(signin)
    rp.post(signin, {"identifier": "kari@example.com"})
    response = rp.post(f"{live}/gui/signin/password", {"password": PASSWORD})  # box unticked
    cookie = next(c for c in rp.browser.cookies if c.name == "connect_session")
    assert cookie.expires is None  # ends with the browser
    claims = rp.id_token(rp.follow(response, live).headers["Location"], flow)
    assert claims["td_sls"] is True

    rp2 = RelyingParty(live, client_rp)
    first, flow = rp2.authorize()
    signin = urljoin(live, first.headers["Location"])
    rp2.browser.get(signin)
    rp2.post(signin, {"identifier": "kari@example.com"})
    response = rp2.post(f"{live}/gui/signin/password", {"password": PASSWORD, "stay": "on"})
    cookie = next(c for c in rp2.browser.cookies if c.name == "connect_session")
    assert cookie.expires is not None and cookie.expires > time.time() + 80 * 86400
    assert rp2.id_token(rp2.follow(response, live).headers["Location"], flow)["td_sls"] is False
