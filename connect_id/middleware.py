"""Project-wide request hygiene."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from connect_id import health, metrics

# The OAuth endpoints and sign-in pages; the /id/ API answers the same input with problem+json.
_GUARDED_PREFIXES = ("/oauth/", "/gui/", "/.well-known/")


class RejectNulBytesMiddleware:
    """Answer a NUL byte in a parameter with 400 invalid_request.

    PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep in a query; no
    legitimate OAuth parameter contains one (RFC 6749 Appendix A: printable ASCII).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_GUARDED_PREFIXES) and _has_nul(request):
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Parameters must not hold NUL."},
                status=400,
            )
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "\x00" in request.META.get("HTTP_AUTHORIZATION", ""):
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        sources.append(request.POST)
    return any(
        "\x00" in key or "\x00" in value
        for source in sources
        for key, values in source.lists()
        for value in values
    )


class HealthProbeMiddleware:
    """Answer /healthz, /readyz and /metrics first: load balancers, orchestrators and scrapers
    call by IP over plain HTTP, which host validation (400) or the HTTPS redirect (301, which a
    probe counts as healthy) would otherwise answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path)
        return probe(request) if probe is not None else self.get_response(request)


_PROBES = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics}
