"""OpenAPI generation (drf-spectacular): security and error responses come from each view's
access rules, so the schema cannot disagree with what the views enforce."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from userdata.serializers import Problem

# What every authenticated operation may answer with a problem document.
PROBLEM_STATUSES = {
    "400": "Invalid request (problem details, with `errors[]` for fields).",
    "401": "No or invalid credentials; see WWW-Authenticate.",
    "403": "Not allowed: scope, operation, or another user's data.",
    "404": "No such user or resource.",
    "406": "Not acceptable.",
    "409": "Conflict: verified on another account, or a stale generation in the body.",
    "412": "If-Match does not match the current generation.",
    "415": "Unsupported request media type.",
}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=(
        "Makes a retry safe: a POST sent again with the same key and body within 24 hours gets "
        "the first answer (with `Idempotent-Replayed: true`) and acts once; the same key with "
        "another body is 422 `idempotency_key_reused`. Keys are per credential, 1 to 255 "
        "printable ASCII characters."
    ),
)


class ApiAutoSchema(AutoSchema):
    def _rule(self) -> Any:
        return getattr(self.view, "access_rules", {}).get(self.method)

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        rule = self._rule()
        if self.method == "POST" and rule is not None and not rule.public:
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_auth(self) -> list[dict[str, list[str]]]:
        rule = self._rule()
        if rule is None or rule.public:
            return []
        auths = []
        if rule.scope:
            auths.append({"bearer": [rule.scope]})
        # A rule may accept a second scope (the payment API's reads: payments.api.auth).
        if getattr(rule, "also_scope", None):
            auths.append({"bearer": [rule.also_scope]})
        if rule.operation:
            auths.append({"basic": [rule.operation]})
        return auths

    def get_description(self) -> str:
        # The handler's own docstring only: the views' class docstrings are for maintainers.
        handler = getattr(self.view, self.method.lower(), None)
        description = (getattr(handler, "__doc__", None) or "").strip()
        rule = self._rule()
        if rule is None or rule.public:
            return description
        kinds = []
        if rule.scope:
            extra = " (confidential clients only)" if rule.confidential_only else ""
            also = getattr(rule, "also_scope", None)
            scopes = f"`{rule.scope}` or `{also}`" if also else f"`{rule.scope}`"
            kinds.append(f"Bearer token with scope {scopes}{extra}")
        if rule.operation:
            kinds.append(f"HTTP Basic API credential with operation `{rule.operation}`")
        return f"{description}\n\nAuthorisation: {' or '.join(kinds)}.".strip()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        rule = self._rule()
        if rule is None or rule.public:
            return responses
        extra = dict(getattr(self.view, "extra_problem_statuses", {}))
        if self.method == "POST":
            extra["422"] = "The Idempotency-Key was used with another request."
        # The payment API answers errors in CONNECT Payment's own model (payments.api.problems).
        error = getattr(self.view, "error_serializer", Problem)
        media_type = getattr(self.view, "error_media_type", "application/problem+json")
        statuses = getattr(self.view, "problem_statuses", PROBLEM_STATUSES)
        for status, description in {**statuses, **extra}.items():
            if status not in responses:
                response = self._get_response_for_code(error, status, [media_type], direction)
                response["description"] = description
                responses[status] = response
        return responses


# The payment API (payments.api) at the root; its copy under PAYMENT_BASE_URL is the same API.
PAYMENT_PATHS = ("/transactions", "/agreements")


def only_id_api(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: the schema describes the /id/ API's resources and the payment API
    (not itself, its documentation page, the 404s for unknown paths, or the prefixed copy of
    the payment API)."""
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if path.startswith(("/id/", *PAYMENT_PATHS)) and getattr(callback.cls, "in_schema", True)
    ]
