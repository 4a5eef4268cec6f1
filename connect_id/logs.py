"""A logging filter that keeps tokens, codes and client secrets out of every log line."""

from __future__ import annotations

import logging
import re

# Query-string and form parameters that are credentials (RFC 6749 §10.3, RFC 9700 §4.3.2):
# CONNECT's GET /oauth/tokeninfo?access_token=... puts one in the request line.
_SECRET_PARAMS = re.compile(
    r"(?i)\b(access_token|id_token|refresh_token|logout_token|id_token_hint|code|"
    r"code_verifier|client_secret|token|password)=([^&\s\"']+)"
)


def redact(text: str) -> str:
    return _SECRET_PARAMS.sub(r"\1=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrite the record's message with credential parameters replaced by [redacted]."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
