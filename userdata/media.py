"""Media types of the /id/ API: JSON, and CONNECT's legacy vendor type as an alias of it."""

from __future__ import annotations

import math
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
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if not _finite(data):
            # 1e999 parses as inf: no JSON number the API stores can be infinite.
            raise ParseError("JSON parse error - numbers must be finite.")
        return data


def _finite(value: Any, depth: int = 0) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if depth > 100:
        return True  # the parser already refused deeper documents
    if isinstance(value, dict):
        return all(_finite(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v, depth + 1) for v in value)
    return True


class LegacyJsonParser(JsonParser):
    media_type = LEGACY_MEDIA_TYPE


class LegacyAwareNegotiation(DefaultContentNegotiation):
    """Reads the legacy vendor type in Accept as application/json, so it is answered with JSON."""

    def get_accept_list(self, request: Any) -> list[str]:
        return [
            token.replace(LEGACY_MEDIA_TYPE, "application/json")
            for token in super().get_accept_list(request)
        ]
