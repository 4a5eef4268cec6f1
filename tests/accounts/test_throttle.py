"""Brute-force protection: repeated wrong passwords lock the identifier (and an IP) for a while,
counted on the normalized identifier, never locking the owner out of a known browser."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client as HttpClient
from django.test import RequestFactory

from accounts import throttle
from tests.signin import password_sign_in

PASSWORD = "correct horse battery"


def attempt(http, identifier: str, password: str):
    return password_sign_in(http, identifier, password)


def test_after_five_failures_even_the_right_password_is_refused(anon, alice, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        assert attempt(anon, "alice@example.com", "wrong").status_code == 400
    response = attempt(anon, "ALICE@example.com", PASSWORD)  # any letter case: the same account
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many attempts" in response.content
    assert "_auth_user_id" not in anon.session


@pytest.mark.parametrize(
    "spelling", ["+4791111111", "0047 911 11 111", "(+47) 911 11 111", "+47-911-11-111", "91111111"]
)
def test_every_spelling_of_a_number_shares_one_count(anon, alice, settings, spelling):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        attempt(anon, "4791111111", "wrong")
    assert attempt(anon, spelling, PASSWORD).status_code == 429


def test_other_accounts_are_not_locked_by_someone_elses_failures(anon, alice, bob, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "bob@example.com", PASSWORD).status_code == 302


def test_a_browser_alice_signed_in_from_before_is_not_locked_by_a_stranger(alice, settings):
    own = HttpClient()
    assert attempt(own, "alice@example.com", PASSWORD).status_code == 302
    own.post("/gui/signout")
    stranger = HttpClient(REMOTE_ADDR="192.0.2.9")
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        attempt(stranger, "alice@example.com", "wrong")
    assert attempt(stranger, "alice@example.com", PASSWORD).status_code == 429
    assert attempt(own, "alice@example.com", PASSWORD).status_code == 302


def test_a_success_resets_the_count(anon, alice, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER - 1):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 302
    fresh = HttpClient()
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER - 1):
        attempt(fresh, "alice@example.com", "wrong")
    assert attempt(fresh, "alice@example.com", PASSWORD).status_code == 302


def test_one_ip_trying_many_accounts_is_stopped(anon, alice, settings):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        attempt(anon, f"nobody{n}@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 429


def test_the_admin_sign_in_is_throttled_too(alice, settings):
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1")
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        assert authenticate(request, username="alice@example.com", password="wrong") is None
    with pytest.raises(throttle.Throttled):
        authenticate(request, username="alice@example.com", password=PASSWORD)


def test_the_admin_login_page_says_so_instead_of_failing(anon, alice, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER + 1):
        response = anon.post(
            "/admin/login/", {"username": "alice@example.com", "password": "wrong"}
        )
    assert response.status_code == 200
    assert b"Too many attempts" in response.content


def test_the_window_ends(alice, settings, anon):
    settings.SIGNIN_FAILURE_WINDOW = 3  # the database cache keeps whole seconds
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 429
    import time

    time.sleep(3.1)
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 302
