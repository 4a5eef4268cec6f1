"""The committed OpenAPI schema is what the server serves, and the server keeps to it
(schemathesis, against the WSGI app with an API credential holding every operation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connect_id.wsgi import application
from tests.userdata.conftest import basic_header

COMMITTED = Path(__file__).resolve().parents[2] / "userdata" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --validate --file userdata/openapi.yaml"


def test_served_schema_equals_the_committed_one(anon, db):
    response = anon.get("/id/schema")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    committed = yaml.safe_load(COMMITTED.read_text())
    assert served == committed, f"userdata/openapi.yaml is stale: run `{REGENERATE}`"
    assert served["openapi"].startswith("3.1")


def test_schema_declares_the_scopes_of_connects_table():
    schema = yaml.safe_load(COMMITTED.read_text())
    me = schema["paths"]["/id/users/{connectId}"]
    assert {"bearer": ["id.user.read"]} in me["get"]["security"]
    assert {"bearer": ["id.user.write"]} in me["put"]["security"]
    assert me["delete"]["security"] == [{"basic": ["users:write"]}]
    mails = schema["paths"]["/id/users/{connectId}/mails"]
    assert {"bearer": ["id.user.email.read"]} in mails["get"]["security"]


def test_docs_page_is_served(anon, db):
    response = anon.get("/id/docs")
    assert response.status_code == 200
    assert b"/id/schema" in response.content


SCHEMA = schemathesis.openapi.from_path(COMMITTED)
SCHEMA.app = application
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_world(alice_data, basic_client):
    """Alice and her resources; the fuzzer aims most requests at them (others at random ids)."""
    http = basic_client("*")
    # Like Django's test client: keep the test's connection (and transaction) across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {
        "authorization": http.defaults["HTTP_AUTHORIZATION"],
        "ids": {
            "connectId": alice_data.user.id,
            "mailId": alice_data.spare_mail.id,
            "phoneId": alice_data.spare_phone.id,
            "accountId": alice_data.account.id,
        },
    }
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@SCHEMA.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_to_its_schema_and_never_fails(case, fuzz_world):
    for name, real in fuzz_world["ids"].items():
        generated = (case.path_parameters or {}).get(name)
        if generated is not None and len(str(generated)) % 4:
            case.path_parameters[name] = real
    case.call_and_validate(headers={"Authorization": fuzz_world["authorization"]}, checks=CHECKS)


def test_basic_header_helper_round_trips():
    assert basic_header("u", "p") == "Basic dTpw"


def test_the_docs_page_loads_nothing_from_elsewhere(anon, db):
    from django.contrib.staticfiles import finders

    page = anon.get("/id/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html and "http://" not in html
    script = re.search(r'<script src="([^"]+)"', html).group(1)
    assert script.startswith("/static/drf_spectacular_sidecar/redoc/")
    assert finders.find(script.removeprefix("/static/"))  # shipped in the package
