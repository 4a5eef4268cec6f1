"""Error pages speak to the person, in their language, with the developer detail kept out."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_friendly_404():
    response = HttpClient().get("/gui/no-such-page")
    assert response.status_code == 404
    assert b"This page does not exist" in response.content and b'href="/"' in response.content


def test_a_missing_page_in_norwegian():
    response = HttpClient(HTTP_ACCEPT_LANGUAGE="nb").get("/gui/no-such-page")
    assert response.status_code == 404 and b'lang="nb"' in response.content
    assert b"This page does not exist" not in response.content


def test_a_stale_form_explains_itself_instead_of_djangos_developer_page():
    http = HttpClient(enforce_csrf_checks=True)
    response = http.post("/gui/signin", {"identifier": "4791234567"})
    assert response.status_code == 403
    assert b"This page had expired" in response.content
    assert b"CSRF" not in response.content
