"""Media types of the /id/ API: JSON, and CONNECT's legacy vendor type as an alias of it."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser

# Sent as Accept and as the request Content-Type by the 2014 client (spec §1.0).
LEGACY_MEDIA_TYPE = "application/vnd.comoyo.api-v20120202+json"


class JsonParser(JSONParser):
    """DRF's strict JSON parser (no NaN), also refusing nesting deep enough to exhaust the stack."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class LegacyJsonParser(JsonParser):
    media_type = LEGACY_MEDIA_TYPE


class LegacyAwareNegotiation(DefaultContentNegotiation):
    """Reads the legacy vendor type in Accept as application/json, so it is answered with JSON."""

    def get_accept_list(self, request: Any) -> list[str]:
        return [
            token.replace(LEGACY_MEDIA_TYPE, "application/json")
            for token in super().get_accept_list(request)
        ]
