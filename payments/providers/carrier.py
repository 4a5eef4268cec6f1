"""Carrier billing through an HTTP gateway (PAYMENT_CARRIER_BILLING
`payments.providers.carrier.HttpCarrierBilling`), in the manner of the SMS gateway backend.

The gateway contract (JSON both ways, `Authorization: Bearer PAYMENT_CARRIER_GATEWAY_TOKEN` when
the token is set, PAYMENT_CARRIER_GATEWAY_TIMEOUT seconds per request, no redirects followed):

`POST PAYMENT_CARRIER_GATEWAY_URL` charges a phone bill:
    {"msisdn": "+4791234567", "amount": 12900, "currency": "NOK",
     "reference": "<idempotency key>", "description": "CONNECT Plus, one month"}
  `amount` is an integer in the currency's minor units; `reference` is the same on every retry
  of one attempt, and the gateway must charge a reference at most once (a repeat gets the first
  answer). Answers:
  - 2xx `{"status": "charged", "id": "<the gateway's charge id>"}`: charged;
  - 2xx `{"status": "declined", "code": "<reason>"}`, or 402 (with the same body or none):
    declined (the operator or the subscription says no);
  - any other 4xx: refused as malformed or unauthorised: failed, not retried;
  - 5xx, a timeout, a refused connection, or a 2xx we cannot read: unavailable
    (ProviderUnavailable; the same call may be retried).

`POST PAYMENT_CARRIER_GATEWAY_URL/refunds` gives money back:
    {"charge": "<the charge id>", "amount": 5000, "currency": "NOK",
     "reference": "<idempotency key>"}
  2xx `{"status": "refunded", "id": "<refund id>"}` is done; 2xx `{"status": "failed",
  "code": …}` or a 4xx is failed; 5xx and network errors are unavailable, as above.

Logs show the masked number (accounts.sms.masked), the HTTP status and the outcome, never the
whole number or the token.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.sms import masked
from payments.providers.base import (
    Charge,
    ChargeResult,
    ProviderUnavailable,
    RefundResult,
    SavedMethod,
)

logger = logging.getLogger(__name__)

MSISDN = re.compile(r"[1-9]\d{6,14}")  # E.164 digits without "+"
MAX_ANSWER_BYTES = 64 * 1024
DESCRIPTION_MAX = 255
DECLINED_MESSAGE = "The phone operator declined the charge."
FAILED_MESSAGE = "The phone bill could not be charged. Try another payment method."


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it would send the token (and the POST) elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class _Answer:
    """The gateway's status and JSON object (empty when there was none or it was not JSON)."""

    def __init__(self, status: int, raw: bytes) -> None:
        self.status = status
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None
        self.readable = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value[:100] if isinstance(value, str) else ""


class HttpCarrierBilling:
    """PAYMENT_CARRIER_BILLING through an HTTP gateway (contract in the module docstring)."""

    name = "carrier"

    def __init__(self) -> None:
        self.url = settings.PAYMENT_CARRIER_GATEWAY_URL
        if not self.url:
            raise ImproperlyConfigured("PAYMENT_CARRIER_GATEWAY_URL is not set.")
        self.timeout = settings.PAYMENT_CARRIER_GATEWAY_TIMEOUT
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if settings.PAYMENT_CARRIER_GATEWAY_TOKEN:
            self.headers["Authorization"] = f"Bearer {settings.PAYMENT_CARRIER_GATEWAY_TOKEN}"

    def charge_phone(self, *, charge: Charge, msisdn: str) -> ChargeResult:
        if not MSISDN.fullmatch(msisdn):
            logger.warning("Carrier charge %s: not an E.164 number", charge.idempotency_key)
            return ChargeResult(status="failed", code="invalid_msisdn", message=FAILED_MESSAGE)
        shown = masked(msisdn)
        answer = self._post(
            self.url,
            {
                "msisdn": f"+{msisdn}",
                "amount": charge.amount_minor,
                "currency": charge.currency,
                "reference": charge.idempotency_key,
                "description": charge.description[:DESCRIPTION_MAX],
            },
            what=f"charge to {shown}",
        )
        outcome = answer.text("status")
        if 200 <= answer.status < 300 and outcome == "charged" and answer.text("id"):
            logger.info("Carrier charge to %s: charged (HTTP %d)", shown, answer.status)
            method = SavedMethod(
                provider=self.name,
                method_ref=f"msisdn:{msisdn}",
                brand="carrier",
                last4=msisdn[-4:],
            )
            return ChargeResult(status="succeeded", reference=answer.text("id"), method=method)
        if answer.status == 402 or (200 <= answer.status < 300 and outcome == "declined"):
            code = answer.text("code") or "carrier_declined"
            logger.info("Carrier charge to %s: declined %s (HTTP %d)", shown, code, answer.status)
            return ChargeResult(status="declined", code=code, message=DECLINED_MESSAGE)
        if 200 <= answer.status < 300:
            # It may have been charged: only a retry with the same reference can tell.
            self._unavailable(f"charge to {shown}", f"unreadable answer (HTTP {answer.status})")
        code = answer.text("code") or f"http_{answer.status}"
        logger.error("Carrier charge to %s refused: %s (HTTP %d)", shown, code, answer.status)
        return ChargeResult(status="failed", code=code, message=FAILED_MESSAGE)

    def refund(
        self, *, reference: str, amount_minor: int, currency: str, idempotency_key: str
    ) -> RefundResult:
        answer = self._post(
            self.url.rstrip("/") + "/refunds",
            {
                "charge": reference,
                "amount": amount_minor,
                "currency": currency,
                "reference": idempotency_key,
            },
            what=f"refund of {reference}",
        )
        ok = 200 <= answer.status < 300
        if ok and answer.text("status") == "refunded" and answer.text("id"):
            logger.info("Carrier refund of %s: refunded (HTTP %d)", reference, answer.status)
            return RefundResult(status="succeeded", reference=answer.text("id"))
        if ok and answer.text("status") not in ("failed", "declined"):
            self._unavailable(f"refund of {reference}", f"unreadable answer (HTTP {answer.status})")
        code = answer.text("code") or ("refund_failed" if ok else f"http_{answer.status}")
        logger.error("Carrier refund of %s failed: %s (HTTP %d)", reference, code, answer.status)
        return RefundResult(status="failed", code=code)

    def _post(self, url: str, payload: dict[str, Any], *, what: str) -> _Answer:
        """POST *payload*; the answer of a 2xx or 4xx; ProviderUnavailable for everything else."""
        request = urllib.request.Request(  # noqa: S310 (an operator-configured URL)
            url, data=json.dumps(payload).encode(), headers=self.headers, method="POST"
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return _Answer(response.status, response.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as exc:
            with exc:
                status, raw = exc.code, exc.read(MAX_ANSWER_BYTES)
            if 400 <= status < 500:
                return _Answer(status, raw)
            if status < 400:  # a redirect we did not follow: the URL is wrong
                return _Answer(status, b"")
            self._unavailable(what, f"HTTP {status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", None)
            cause = reason if isinstance(reason, BaseException) else exc
            self._unavailable(what, type(cause).__name__)

    @staticmethod
    def _unavailable(what: str, reason: str) -> NoReturn:
        logger.warning("Carrier gateway unavailable for the %s: %s", what, reason)
        raise ProviderUnavailable(f"Carrier gateway: {reason}") from None
