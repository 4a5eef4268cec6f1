"""A POST retried with the same Idempotency-Key acts once and answers as the first time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Email, IdempotentRequest, User

NEW_USER = {"username": "retry@example.com", "password": "a long passphrase 42", "realname": "R"}


def post_user(http, body=NEW_USER, key="key-1"):
    return http.post("/id/users", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_create_returns_the_first_answer_and_creates_one_user(basic_client):
    http = basic_client("users:write")
    first = post_user(http)
    again = post_user(http)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Email.objects.filter(address="retry@example.com").count() == 1
    assert AuditEvent.objects.filter(action="user.created").count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(basic_client):
    http = basic_client("users:write")
    post_user(http)
    other = post_user(http, {**NEW_USER, "username": "other@example.com"})
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Email.objects.filter(address="other@example.com").exists()


def test_keys_belong_to_one_credential(basic_client):
    post_user(basic_client("users:write"))
    theirs = post_user(basic_client("users:write"), {**NEW_USER, "username": "b@example.com"})
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs


def test_a_key_expires_after_a_day(basic_client, settings):
    http = basic_client("users:write")
    post_user(http)
    a_day_ago = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS + 1)
    IdempotentRequest.objects.update(created_at=a_day_ago)
    later = post_user(http, {**NEW_USER, "username": "later@example.com"})
    assert later.status_code == 201 and "Idempotent-Replayed" not in later


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "tab\tinside"])
def test_a_malformed_key_is_400(basic_client, key):
    response = post_user(basic_client("users:write"), key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not User.objects.exists()


def test_a_quoted_key_as_the_draft_writes_it_is_the_same_key(basic_client):
    http = basic_client("users:write")
    post_user(http, key='"abc-123"')
    assert post_user(http, key="abc-123")["Idempotent-Replayed"] == "true"


def test_a_request_that_fails_on_our_side_leaves_nothing_and_its_retry_runs(
    basic_client, monkeypatch
):
    # As when a worker dies mid-request: the user was written, the answer never sent.
    http = basic_client("users:write")
    http.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr("userdata.views.user_json", broken)
        assert post_user(http).status_code == 500
    assert not Email.objects.filter(address="retry@example.com").exists()
    retried = post_user(http)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert Email.objects.filter(address="retry@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_user(basic_client):
    http = basic_client("users:write")
    start = threading.Barrier(2)
    answers = []

    def send():
        start.wait()
        try:
            answers.append(post_user(http))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert sorted(a.has_header("Idempotent-Replayed") for a in answers) == [False, True]
    assert Email.objects.filter(address="retry@example.com").count() == 1


def test_other_post_endpoints_honour_the_key_too(basic_client, alice):
    http = basic_client("mails:write")
    url = f"/id/users/{alice.pk}/mails"
    first = http.post(
        url,
        {"address": "a2@example.com"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="m-1",
    )
    again = http.post(
        url,
        {"address": "a2@example.com"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="m-1",
    )
    assert first.status_code == 201 and again.content == first.content
    assert alice.emails.filter(address="a2@example.com").count() == 1
