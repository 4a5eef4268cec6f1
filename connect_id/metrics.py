"""Prometheus metrics: what operators alert on, served at /metrics to allowed scrapers only.

Counters live in this process; under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder,
emptied at each start) and every worker's values are summed at scrape time.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import time
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

TOKENS = Counter(
    "connect_tokens_total",
    "Token endpoint answers: issued, or refused with the RFC 6749 error code.",
    ["client", "grant", "result"],
)
SIGNINS = Counter(
    "connect_signins_total",
    "Sign-in attempts by method (sms_pin, password) and result (success, failure, throttled).",
    ["method", "result"],
)
MESSAGES = Counter(
    "connect_messages_total",
    "Mail and SMS handed to the backend (sent) or refused by it (failed).",
    ["channel", "result"],
)
LATENCY = Histogram(
    "connect_request_duration_seconds",
    "Request latency by endpoint (URL pattern) and method.",
    ["endpoint", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def token_answer(*, client_id: str, grant: str, response: HttpResponse) -> None:
    """Count one answer of the token endpoint (*grant* already one of the offered grants)."""
    if response.status_code == 200:
        result = "issued"
    else:
        try:
            result = str(json.loads(response.content).get("error", "error"))[:40]
        except (ValueError, AttributeError):
            result = "error"
    # The client label only for a client that authenticated (or was known, for other errors):
    # an attacker's made-up client_ids must not grow the series without bound.
    client = "unknown" if result == "invalid_client" or not client_id else client_id[:100]
    _token_counter(client, grant, result).inc()


# prometheus_client's labels() validates the values and takes a lock on every call; the label
# sets are bounded (registered clients, URL patterns), so each child is looked up once.
@lru_cache(maxsize=4096)
def _token_counter(client: str, grant: str, result: str) -> Any:
    return TOKENS.labels(client, grant, result)


@lru_cache(maxsize=1024)
def _latency(endpoint: str, method: str) -> Any:
    return LATENCY.labels(endpoint, method)


class MetricsMiddleware:
    """Time every request, labelled by the URL pattern it matched (bounded, unlike paths)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        endpoint = "/" + match.route if match is not None and match.route else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        _latency(endpoint, method).observe(time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache
def _networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for a bearer of METRICS_TOKEN or METRICS_ALLOWED_NETWORKS."""
    if not _allowed(request):
        response = JsonResponse(
            {"error": "forbidden", "error_description": "Metrics are not public."}, status=403
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    scraped = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    scraped["Cache-Control"] = "no-store"
    return scraped
