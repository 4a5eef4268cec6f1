"""The authorization code flow: sign-in, consent, PKCE, codes, tokens, ID token claims."""

from __future__ import annotations

import json

import pytest
from jwcrypto import jwk, jwt

from accounts.models import AccessToken, Consent, Grant
from tests.oidc.conftest import REDIRECT, authorize_get, exchange, pkce_pair, query_of


def decode_id_token(http, id_token: str) -> dict:
    keys = jwk.JWKSet.from_json(http.get("/oauth/public_keys.jwks").content)
    return json.loads(jwt.JWT(jwt=id_token, key=keys).claims)


def test_code_flow_issues_tokens_and_a_signed_id_token(browser, alice, rp):
    browser.sign_in(alice)
    verifier, challenge = pkce_pair()
    result = browser.authorize(rp, verifier_challenge=(verifier, challenge), nonce="n-0S6")
    assert result["iss"] == "http://testserver/oauth"  # RFC 9207
    response = exchange(browser.http, rp, result["code"], verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"openid", "profile", "email", "phone"}
    claims = decode_id_token(browser.http, body["id_token"])
    assert claims["iss"] == "http://testserver/oauth"
    assert claims["sub"] == alice.pk and claims["aud"] == [rp.client_id]
    assert claims["nonce"] == "n-0S6"
    assert claims["acr"] == "2" and claims["amr"] == ["UID_PWD"]
    assert claims["sid"] and claims["auth_time"] <= claims["iat"] < claims["exp"]
    assert claims["at_hash"]
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
    assert claims["phone_number"] == "4791111111" and claims["phone_number_verified"] is True
    assert claims["name"] == "Alice Example"
    header = json.loads(jwt.JWT(jwt=body["id_token"]).token.objects["protected"])
    assert header["alg"] == "RS256" and header["kid"]


def test_claims_follow_the_granted_scopes(browser, alice, rp):
    browser.sign_in(alice)
    result = browser.authorize(rp, scope="openid email")
    body = exchange(browser.http, rp, result["code"]).json()
    claims = decode_id_token(browser.http, body["id_token"])
    assert "email" in claims and "name" not in claims and "phone_number" not in claims


def test_unsigned_in_user_is_sent_to_sign_in_and_back(browser, alice, rp):
    response = authorize_get(browser.http, rp, login_hint="alice@example.com")
    assert response.status_code == 302 and response["Location"].startswith("/gui/signin?next=")
    page = browser.http.get(response["Location"])
    assert b'value="alice@example.com"' in page.content  # login_hint pre-fills


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(browser, alice, rp):
    browser.sign_in(alice)
    response = browser.http.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": rp.client_id,
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
            "state": "s",
        },
    )
    assert response.status_code == 400
    assert b"invalid_request" in response.content or b"mismatch" in response.content.lower()
    assert "Location" not in response


def test_unknown_client_gets_an_error_page(browser, alice):
    browser.sign_in(alice)
    response = browser.http.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": "nobody",
            "redirect_uri": REDIRECT,
            "scope": "openid",
        },
    )
    assert response.status_code in (400, 401)
    assert "Location" not in response


def test_other_errors_redirect_with_error_and_state(browser, alice, rp):
    browser.sign_in(alice)
    response = authorize_get(browser.http, rp, scope="openid id.user.everything", state="xyz")
    assert response.status_code == 302
    result = query_of(response["Location"])
    assert result["error"] == "invalid_scope" and result["state"] == "xyz"
    assert "error_description" in result


def test_public_client_must_use_pkce(browser, alice, public_rp):
    browser.sign_in(alice)
    response = authorize_get(browser.http, public_rp, state="s1")
    result = query_of(response["Location"])
    assert result["error"] == "invalid_request" and result["state"] == "s1"


def test_public_client_with_pkce_gets_tokens_without_a_secret(browser, alice, public_rp):
    browser.sign_in(alice)
    verifier, challenge = pkce_pair()
    result = browser.authorize(public_rp, verifier_challenge=(verifier, challenge))
    response = exchange(browser.http, public_rp, result["code"], verifier)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        (None, "invalid_request"),  # RFC 7636 §4.4.1: the verifier is required
        ("a-wrong-verifier-that-is-long-enough-1234567890", "invalid_grant"),  # §4.6
    ],
)
def test_missing_or_wrong_pkce_verifier_is_refused(browser, alice, rp, verifier, error):
    browser.sign_in(alice)
    good, challenge = pkce_pair()
    result = browser.authorize(rp, verifier_challenge=(good, challenge))
    response = exchange(browser.http, rp, result["code"], verifier)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_codes_are_stored_hashed(browser, alice, rp):
    browser.sign_in(alice)
    code = browser.authorize(rp)["code"]
    grant = Grant.objects.get()
    assert code not in grant.code and grant.code.startswith("sha256:")


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(browser, alice, rp):
    browser.sign_in(alice)
    code = browser.authorize(rp)["code"]
    first = exchange(browser.http, rp, code).json()
    replay = exchange(browser.http, rp, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: the tokens issued from the code are revoked.
    userinfo = browser.http.get(
        "/oauth/userinfo", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}"
    )
    assert userinfo.status_code == 401
    refresh = browser.http.post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
        HTTP_AUTHORIZATION=exchange.__globals__["basic"](rp.client_id, rp.secret),
    )
    assert refresh.status_code == 400


def test_a_code_is_bound_to_its_client(browser, alice, rp):
    from tests.factories import ClientFactory

    other = ClientFactory(redirect_uris=[REDIRECT])
    browser.sign_in(alice)
    code = browser.authorize(rp)["code"]
    response = exchange(browser.http, other, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_redirect_uri(browser, alice):
    from tests.factories import ClientFactory

    client = ClientFactory(redirect_uris=[REDIRECT, "https://rp.example.com/other"])
    browser.sign_in(alice)
    code = browser.authorize(client)["code"]
    response = exchange(browser.http, client, code, redirect_uri="https://rp.example.com/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_declining_consent_redirects_with_access_denied(browser, alice, rp):
    browser.sign_in(alice)
    result = browser.authorize(rp, allow=False)
    assert result["error"] == "access_denied" and result["state"].startswith("st-")
    assert not Consent.objects.exists()


def test_consent_is_remembered_per_user_client_and_scopes(browser, alice, rp):
    browser.sign_in(alice)
    browser.authorize(rp, scope="openid email")
    assert Consent.objects.get().scopes == ["email", "openid"]
    # Same scopes: no consent page this time.
    response = authorize_get(browser.http, rp, scope="openid email")
    assert response.status_code == 302 and "code=" in response["Location"]
    # More scopes: asked again.
    response = authorize_get(browser.http, rp, scope="openid email phone")
    assert response.status_code == 200 and b'data-scope="phone"' in response.content


def test_consent_page_shows_the_client_name_and_plain_words(browser, alice, rp):
    browser.sign_in(alice)
    response = authorize_get(browser.http, rp, scope="openid phone")
    page = response.content.decode()
    assert "Relying Party asks for" in page
    assert "Your preferred phone number" in page


def test_first_party_clients_skip_consent(browser, alice):
    from tests.factories import ClientFactory

    first_party = ClientFactory(redirect_uris=[REDIRECT], skip_authorization=True)
    browser.sign_in(alice)
    response = authorize_get(browser.http, first_party)
    assert response.status_code == 302 and "code=" in response["Location"]


def test_prompt_none_without_a_session_is_login_required(browser, rp):
    response = authorize_get(browser.http, rp, prompt="none", state="s2")
    assert response["Location"].startswith(REDIRECT)
    assert query_of(response["Location"]) == {
        "error": "login_required",
        "error_description": "The user is not signed in (prompt=none).",
        "state": "s2",
        "iss": "http://testserver/oauth",  # RFC 9207
    }


def test_prompt_none_without_consent_is_consent_required(browser, alice, rp):
    browser.sign_in(alice)
    browser.http.get("/oauth/authorize")  # consume the fresh-sign-in marker
    response = authorize_get(browser.http, rp, prompt="none", state="s3")
    result = query_of(response["Location"])
    assert result["error"] == "consent_required" and result["state"] == "s3"


def test_prompt_none_with_session_and_consent_returns_a_code(browser, alice, rp):
    browser.sign_in(alice)
    browser.authorize(rp, scope="openid")
    result = browser.authorize(rp, scope="openid", prompt="none")
    assert "code" in result


def test_prompt_login_and_max_age_force_a_new_sign_in(browser, alice, rp):
    browser.sign_in(alice)
    browser.authorize(rp, scope="openid")
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        response = browser.http.get(
            "/oauth/authorize",
            {
                "response_type": "code",
                "client_id": rp.client_id,
                "redirect_uri": REDIRECT,
                "scope": "openid",
                **extra,
            },
        )
        assert response.status_code == 302, extra
        assert response["Location"].startswith("/gui/signin"), extra
        browser.sign_in(alice)
        # Just signed in: the same request now succeeds (no loop).
        result = browser.authorize(rp, scope="openid", **extra)
        assert "code" in result


def test_claims_and_connect_parameters_are_accepted(browser, alice, rp):
    browser.sign_in(alice)
    claims = json.dumps({"userinfo": {"email": {"essential": True}}})
    result = browser.authorize(
        rp,
        scope="openid email",
        claims=claims,
        ui_locales="nb en",
        acr_values="2",
        prompt="no_seam",
        log_session_id="abc",
        telenordigital_sdk_version="android_v1",
    )
    assert "code" in result


def test_tokens_remember_their_sso_session(browser, alice, rp):
    browser.sign_in(alice)
    body = exchange(browser.http, rp, browser.authorize(rp)["code"]).json()
    token = AccessToken.objects.get()
    assert token.session_id is not None
    assert decode_id_token(browser.http, body["id_token"])["sid"] == token.session_id


def test_an_edited_consent_form_cannot_grant_a_scope_the_client_did_not_ask_for(browser, alice, rp):
    browser.sign_in(alice)
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st-edit",
    }
    page = browser.http.get("/oauth/authorize", query)
    assert page.status_code == 200 and b'name="allow"' in page.content
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    form.update(allow="x", scope="openid id.user.read")  # registered, but not asked for
    response = browser.http.post("/oauth/authorize?" + page.request["QUERY_STRING"], form)
    assert response.status_code == 400
    assert not Consent.objects.filter(user=alice, client=rp).exists()
    # The form as shown still works.
    form["scope"] = "openid"
    response = browser.http.post("/oauth/authorize?" + page.request["QUERY_STRING"], form)
    assert response.status_code == 302 and "code=" in response["Location"]
    assert Consent.objects.get(user=alice, client=rp).scopes == ["openid"]
