"""The payment API in the committed OpenAPI document, and the API keeping to it under fuzzing
with a merchant's credential (schemathesis against the WSGI app): never a 5xx, bodies and
statuses as documented."""

from __future__ import annotations

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
    response_schema_conformance,
    status_code_conformance,
)

from connect_id.wsgi import application
from tests.payments.conftest import MERCHANT, prepared

COMMITTED = Path(__file__).resolve().parents[2] / "userdata" / "openapi.yaml"
PAYMENT_PATHS = r"^/(transactions|agreements)"


def test_the_document_holds_the_payment_api_with_its_scopes_and_operations():
    paths = yaml.safe_load(COMMITTED.read_text())["paths"]
    create = paths["/transactions"]["post"]
    assert {"bearer": ["payment.transactions.write"]} in create["security"]
    assert {"basic": ["transactions:write"]} in create["security"]
    read = paths["/transactions/{transactionId}"]["get"]["security"]
    assert {"bearer": ["payment.transactions.read"]} in read
    assert {"bearer": ["payment.transactions.write"]} in read
    refund = paths["/transactions/{transactionId}/refunds"]["post"]
    assert refund["security"] == [{"basic": ["transactions:write"]}]
    error = refund["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/PaymentErrorOut")
    assert {"get", "post"} <= set(paths["/agreements/{agreementId}/stop"])
    assert {"get", "post"} <= set(paths["/agreements"])
    assert not any(path.startswith("/payment/") for path in paths)


SCHEMA = schemathesis.openapi.from_path(COMMITTED).include(path_regex=PAYMENT_PATHS)
SCHEMA.app = application
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def merchant_world(merchant_client, alice):
    """A merchant with a transaction; the fuzzer aims path ids at it (others at random ids)."""
    http = merchant_client(MERCHANT)
    tx = prepared(user=alice)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"authorization": http.defaults["HTTP_AUTHORIZATION"], "transactionId": tx.pk}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_payment_api_keeps_to_its_schema_and_never_fails(case, merchant_world):
    params = case.path_parameters or {}
    if "transactionId" in params and len(str(params["transactionId"])) % 2:
        params["transactionId"] = merchant_world["transactionId"]
    case.call_and_validate(
        headers={"Authorization": merchant_world["authorization"]}, checks=CHECKS
    )
