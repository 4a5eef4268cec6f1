"""The cookie middlewares step aside on the Basic/Bearer-only API paths (connect_id.hotpath),
and nowhere else: pages keep their session, user and messages, and a browser's cookie never
authenticates an API call."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils.module_loading import import_string

from connect_id.hotpath import is_api_path
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "path",
    [
        "/oauth/token",
        "/oauth/userinfo",
        "/oauth/introspect",
        "/oauth/tokeninfo",
        "/oauth/revoke",
        "/id/users/me",
        "/id/users/1234567890123456789/mails",
        "/event/queue/next",
    ],
)
def test_the_machine_endpoints_are_api_paths(path):
    assert is_api_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/oauth/authorize",
        "/oauth/logout",
        "/gui/signin",
        "/gui/mypage/",
        "/oauth/tokenx",
        "/identity",
        "/" + "admin/",
    ],
)
def test_pages_and_lookalikes_are_not_api_paths(path):
    assert not is_api_path(path)


def test_the_wrapped_middlewares_are_still_djangos_for_its_checks():
    # admin.E408-E410 look for these classes in MIDDLEWARE; `check` must stay clean.
    loaded = [import_string(path) for path in settings.MIDDLEWARE]
    for original in (SessionMiddleware, AuthenticationMiddleware, MessageMiddleware):
        assert any(issubclass(cls, original) for cls in loaded)
    call_command("check", fail_level="WARNING")


def test_a_signed_in_browser_cookie_does_not_authenticate_the_api(db):
    alice = UserFactory(email="cookie@example.com", phone="4791234567")
    browser = HttpClient()
    browser.force_login(alice)
    response = browser.get("/id/users/me")
    assert response.status_code == 401
    # No session store and no lazy user were built for it at all.
    assert not hasattr(response.wsgi_request, "session")
    assert getattr(response.wsgi_request, "user", None) is None  # DRF's unauthenticated user
    assert "WWW-Authenticate" in response
    # The session was not touched: no cookie set, no Vary: Cookie.
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_api_answers_keep_the_security_headers(db):
    response = HttpClient().post("/oauth/token", {"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_still_have_their_session_and_user(db):
    alice = UserFactory(email="page@example.com", phone="4797654321")
    browser = HttpClient()
    browser.force_login(alice)
    # A page has request.user and request.session again (the portal reads both).
    response = browser.get("/gui/mypage/")
    assert response.wsgi_request.user == alice
    assert response.wsgi_request.session.session_key


@pytest.mark.parametrize("preset", [{}, {"Cache-Control": "no-store"}, {"Expires": "0"}])
def test_never_cache_writes_what_django_writes(preset):
    from django.http import HttpRequest, JsonResponse
    from django.views.decorators.cache import never_cache as django_never_cache

    from connect_id.hotpath import never_cache

    def view(request):
        response = JsonResponse({})
        for name, value in preset.items():
            response[name] = value
        return response

    ours, django = never_cache(view)(HttpRequest()), django_never_cache(view)(HttpRequest())
    assert ours["Cache-Control"] == django["Cache-Control"]
    from django.utils.http import parse_http_date

    if "Expires" in preset:
        assert ours["Expires"] == django["Expires"] == "0"
    else:
        assert abs(parse_http_date(ours["Expires"]) - parse_http_date(django["Expires"])) <= 1
