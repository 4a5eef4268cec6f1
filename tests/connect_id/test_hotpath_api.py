"""The /id/ API's shortcut in content negotiation (userdata.views.ApiView) answers as DRF's
negotiation does: JSON for no Accept and */*, the legacy vendor type read as JSON, 406 for a
type the API cannot produce."""

from __future__ import annotations

import base64

import pytest
from django.test import Client as HttpClient

from tests.factories import ApiCredentialFactory, UserFactory

LEGACY = "application/vnd.comoyo.api-v20120202+json"


@pytest.fixture
def api(db) -> HttpClient:
    credential = ApiCredentialFactory()
    auth = base64.b64encode(f"{credential.username}:{credential.secret}".encode()).decode()
    return HttpClient(HTTP_AUTHORIZATION=f"Basic {auth}")


@pytest.fixture
def user(db):
    return UserFactory(email="negotiated@example.com", phone="4798765432")


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", LEGACY, "application/*"])
def test_json_is_answered_whatever_json_compatible_accept_says(api, user, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api.get(f"/id/users/{user.pk}", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["id"] == user.pk


def test_every_accept_gets_the_same_body(api, user):
    bodies = {
        accept: api.get(f"/id/users/{user.pk}", HTTP_ACCEPT=accept).content
        for accept in ("*/*", "application/json", LEGACY)
    }
    assert len(set(bodies.values())) == 1
    assert api.get(f"/id/users/{user.pk}").content == bodies["*/*"]


def test_a_type_the_api_cannot_produce_is_not_acceptable(api, user):
    response = api.get(f"/id/users/{user.pk}", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
