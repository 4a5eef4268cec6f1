"""The expected failures of CONNECT Payment, each with a stable code (spec §5 error model)."""

from __future__ import annotations

from connect_id.errors import Conflict, DomainError, NotFound


class PaymentError(DomainError):
    """Rendered by the payment API as CONNECT's {errorNamespace, errorCode, errorMessage}."""

    namespace = "payment"


class AmountInvalid(PaymentError):
    code = "amount_invalid"
    message = (
        'An amount is "<ISO 4217 code> <decimal>" with no more decimals than the currency has, '
        'e.g. "NOK 100.00" or "MMK 1500", and more than zero.'
    )


class CurrencyMismatch(PaymentError):
    code = "currency_mismatch"
    message = "Every price must be in the currency of the amount."


class VatRateInvalid(PaymentError):
    code = "vat_rate_invalid"
    message = 'vatRate is a decimal fraction from 0 to less than 1, e.g. "0.25" for 25 %.'


class ProductsInvalid(PaymentError):
    code = "products_invalid"
    message = "products[] must add up to the amount, and their average VAT rate match vatRate."


class FieldInvalid(PaymentError):
    code = "field_invalid"
    message = "A field is missing, too long or malformed."


class OrderIdTaken(PaymentError, Conflict):
    code = "order_id_taken"
    message = "This merchant already has a transaction with this orderId."


class TransactionNotFound(PaymentError, NotFound):
    code = "transaction_not_found"
    message = "No such transaction."


class AgreementNotFound(PaymentError, NotFound):
    code = "agreement_not_found"
    message = "No such agreement."


class PaymentMethodNotFound(PaymentError, NotFound):
    code = "payment_method_not_found"
    message = "No such payment method."


class TransactionNotPayable(PaymentError, Conflict):
    code = "transaction_not_payable"
    message = "This transaction is no longer waiting for a payment."


class WrongPayer(PaymentError):
    code = "wrong_payer"
    status = 403
    message = "This payment was created for another CONNECT user."


class MethodNotAllowed(PaymentError):
    code = "payment_method_not_allowed"
    message = "The merchant does not accept this payment method."


class PhoneNotVerified(PaymentError):
    code = "phone_not_verified"
    message = "Carrier billing needs a verified phone number of yours."


class PaymentDeclined(PaymentError):
    code = "payment_declined"
    status = 402
    message = "The payment was declined."

    def __init__(self, message: str | None = None, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class ProviderDown(PaymentError):
    code = "provider_unavailable"
    status = 503
    message = "The payment provider cannot be reached. Nothing was charged; try again."


class RefundNotAllowed(PaymentError, Conflict):
    code = "refund_not_allowed"
    message = "Only a completed purchase can be refunded."


class RefundTooLarge(PaymentError):
    code = "refund_too_large"
    message = "A refund cannot give back more than was paid and not yet refunded."


class AgreementNotActive(PaymentError, Conflict):
    code = "agreement_not_active"
    message = "This agreement is not active."


class PaymentMethodInUse(PaymentError, Conflict):
    code = "payment_method_in_use"
    message = "This method pays an active agreement: stop the agreement first."
