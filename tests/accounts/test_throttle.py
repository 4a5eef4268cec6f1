"""Brute-force protection: repeated wrong passwords lock the identifier (and an IP) for a while."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.test import RequestFactory

PASSWORD = "correct horse battery"


def attempt(anon, identifier: str, password: str):
    return anon.post("/gui/signin", {"username": identifier, "password": password})


def test_after_five_failures_even_the_right_password_is_refused(anon, alice, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        assert attempt(anon, "alice@example.com", "wrong").status_code == 400
    response = attempt(anon, "ALICE@example.com", PASSWORD)  # any letter case: the same account
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in anon.session


def test_other_accounts_are_not_locked_by_someone_elses_failures(anon, alice, bob, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "bob@example.com", PASSWORD).status_code == 302


def test_a_success_resets_the_count(anon, alice, settings):
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER - 1):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 302
    anon.logout()
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER - 1):
        attempt(anon, "alice@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 302


def test_one_ip_trying_many_accounts_is_stopped(anon, alice, settings):
    settings.SIGNIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        attempt(anon, f"nobody{n}@example.com", "wrong")
    assert attempt(anon, "alice@example.com", PASSWORD).status_code == 429


def test_the_admin_sign_in_is_throttled_too(alice, settings):
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1")
    for _ in range(settings.SIGNIN_MAX_FAILURES_PER_IDENTIFIER):
        assert authenticate(request, username="alice@example.com", password="wrong") is None
    assert authenticate(request, username="alice@example.com", password=PASSWORD) is None
