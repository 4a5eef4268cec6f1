"""The shapes of the payment API for its OpenAPI document (drf-spectacular). Requests are read by
payments.api.parsing (CONNECT's limits, payments.validators); these describe the same fields."""

from __future__ import annotations

from rest_framework import serializers

from payments.api import parsing
from payments.models import Agreement, Transaction
from payments.services.transactions import METHODS

AMOUNT_HELP = 'ISO 4217 code, a space and the amount, e.g. "NOK 100.00" or "MMK 1500".'
RATE_HELP = 'A fraction, e.g. "0.25" for 25 %.'


class ProductIn(serializers.Serializer):
    productId = serializers.CharField(max_length=parsing.PRODUCT_TEXT_MAX)
    name = serializers.CharField(max_length=parsing.PRODUCT_TEXT_MAX)
    price = serializers.CharField(help_text=AMOUNT_HELP)
    vatRate = serializers.CharField(help_text=RATE_HELP)
    sku = serializers.CharField(
        max_length=parsing.PRODUCT_TEXT_MAX,
        required=False,
        help_text="A right with this SKU is granted to the payer on success.",
    )
    timeSpec = serializers.CharField(
        max_length=parsing.TIME_SPEC_MAX,
        required=False,
        help_text="ISO 8601 interval of the right (required with sku), e.g. P30D.",
    )


class TransactionIn(serializers.Serializer):
    orderId = serializers.CharField(
        max_length=parsing.ORDER_ID_MAX, help_text="The merchant's id, unique per merchant."
    )
    purchaseDescription = serializers.CharField(max_length=parsing.DESCRIPTION_MAX)
    amount = serializers.CharField(help_text=AMOUNT_HELP)
    vatRate = serializers.CharField(help_text=f"{RATE_HELP} Alias: vatPercentage.")
    successRedirect = serializers.URLField(max_length=parsing.REDIRECT_MAX)
    cancelRedirect = serializers.URLField(max_length=parsing.REDIRECT_MAX)
    products = ProductIn(
        many=True,
        required=False,
        help_text="If given, complete: prices add up to amount, the average VAT is vatRate.",
    )
    allowedPaymentMethods = serializers.ListField(
        child=serializers.ChoiceField(choices=METHODS), required=False
    )
    connectId = serializers.CharField(
        required=False, help_text="The payer (a bearer token: its own user only)."
    )
    merchantName = serializers.CharField(max_length=parsing.MERCHANT_NAME_MAX, required=False)
    clientCorrelator = serializers.CharField(
        max_length=parsing.CLIENT_CORRELATOR_MAX, required=False
    )
    attributes = serializers.DictField(required=False)


class PaymentLink(serializers.Serializer):
    rel = serializers.CharField(help_text="PAYMENT: the payment page to send the payer to.")
    href = serializers.URLField()


def _text(**kwargs: object) -> serializers.CharField:
    return serializers.CharField(allow_null=True, **kwargs)  # type: ignore[arg-type]


class TransactionOut(serializers.Serializer):
    id = serializers.CharField()
    generation = serializers.CharField()
    state = serializers.ChoiceField(choices=Transaction.State.choices)
    orderId = serializers.CharField()
    purchaseDescription = serializers.CharField()
    amount = serializers.CharField(help_text=AMOUNT_HELP)
    vatRate = serializers.CharField()
    vatAmount = serializers.CharField()
    refundedAmount = serializers.CharField()
    successRedirect = _text()
    cancelRedirect = _text()
    merchantName = _text()
    connectId = _text()
    creationTime = serializers.DateTimeField()
    startTime = serializers.DateTimeField(allow_null=True)
    completedTime = serializers.DateTimeField(allow_null=True)
    links = PaymentLink(many=True)
    chargingAgreementId = _text()
    verificationTransactionId = _text()
    previousTransactionId = _text()
    chargedPaymentMethod = _text()
    paymentInstrument = _text(help_text='The brand and last digits, e.g. "visa ****4242".')
    sourceOfFundsId = _text()
    sourceOfFundsCode = _text()
    returnCode = _text()
    type = serializers.ChoiceField(choices=Transaction.Type.choices)
    vatModel = _text()
    attributes = serializers.DictField(allow_null=True)
    refundForTransactionId = _text()
    refundIssuer = _text()
    refundReason = _text()
    markedAsFraud = serializers.BooleanField()
    markedAsFraudTime = serializers.DateTimeField(allow_null=True)
    chargeToken = _text()
    clientCorrelator = _text()
    allowedPaymentMethods = serializers.ListField(child=serializers.CharField())
    products = ProductIn(many=True)


class RefundIn(serializers.Serializer):
    refundIssuer = serializers.CharField(max_length=parsing.REFUND_ISSUER_MAX)
    refundReason = serializers.CharField(max_length=parsing.REFUND_REASON_MAX)
    amount = serializers.CharField(required=False, help_text=f"{AMOUNT_HELP} Default: the rest.")


class AgreementTrial(serializers.Serializer):
    period = serializers.CharField(help_text="ISO 8601 duration, e.g. P1M.")


class AgreementIn(serializers.Serializer):
    connectId = serializers.CharField()
    merchantName = serializers.CharField(max_length=parsing.MERCHANT_NAME_MAX)
    recurrenceTimeSpec = serializers.CharField(
        max_length=parsing.TIME_SPEC_MAX, help_text='ISO 8601 repeat, e.g. "R//P1M" (monthly).'
    )
    trial = AgreementTrial(required=False, help_text='Also accepted as the field "trial.period".')
    verificationTransaction = TransactionIn(
        help_text="The first payment, the base of every later charge (alias: "
        "confirmationTransaction)."
    )


class AgreementOut(serializers.Serializer):
    id = serializers.CharField()
    generation = serializers.CharField()
    state = serializers.ChoiceField(choices=Agreement.State.choices)
    links = PaymentLink(many=True)
    creationTime = serializers.DateTimeField()
    merchantName = serializers.CharField()
    connectId = serializers.CharField()
    recurrenceTimeSpec = serializers.CharField()
    trial = AgreementTrial(allow_null=True)
    verificationTransaction = TransactionOut()
    verificationTransactionId = serializers.CharField()
    paymentMethod = _text()
    paymentMethodId = _text()
    paymentInstrument = _text()
    subscriptionId = _text()
    activationTime = serializers.DateTimeField(allow_null=True)
    nextChargeTime = serializers.DateTimeField(allow_null=True)
    stopTime = serializers.DateTimeField(allow_null=True)


class PaymentErrorOut(serializers.Serializer):
    """CONNECT's ErrorModel."""

    errorNamespace = serializers.CharField()
    errorCode = serializers.CharField()
    errorMessage = serializers.CharField()
    field = serializers.CharField(required=False, help_text="The request field at fault.")
    error = serializers.CharField(required=False, help_text="RFC 6750 error code.")
    error_description = serializers.CharField(required=False)
