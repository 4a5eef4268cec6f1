"""Media types of the /id/ API: JSON, and CONNECT's legacy vendor type as an alias of it."""

from __future__ import annotations

import math
from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Sent as Accept and as the request Content-Type by the 2014 client (spec §1.0).
LEGACY_MEDIA_TYPE = "application/vnd.comoyo.api-v20120202+json"


class JsonRenderer(JSONRenderer):
    """DRF's JSON renderer, byte for byte, on orjson: a fifth of the CPU of a 50-right list.

    Everything orjson does not write as DRF would goes to DRF's own encoder: datetimes (DRF
    writes UTC as "Z", orjson as "+00:00"), Decimals, lazy translations and any other
    type, through `default`. What orjson cannot encode at all (integers beyond 64 bits, non-string
    keys), and the indented form a client may ask for, take DRF's path whole. U+2028 and U+2029
    are escaped as DRF does, so the output stays a strict JavaScript subset. (Floats could differ
    in exponent notation and NaN; the API sends none: money is in minor units, and the parser
    refuses non-finite numbers.)
    """

    _default = JSONEncoder().default
    _options = orjson.OPT_PASSTHROUGH_DATETIME

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self._default, option=self._options)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in out:  # the UTF-8 lead bytes of U+2028 and U+2029 (and others)
            out = out.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
        return out


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
