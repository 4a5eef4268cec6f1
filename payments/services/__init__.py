"""The write path of CONNECT Payment: every change of a transaction, agreement or method."""

from payments.services.agreements import (
    NewAgreement,
    agreement_activate,
    agreement_create,
    agreement_stop,
)
from payments.services.methods import payment_method_remove
from payments.services.transactions import (
    NewTransaction,
    PayChoice,
    PayOutcome,
    transaction_bind_payer,
    transaction_cancel,
    transaction_create,
    transaction_pay,
    transaction_refund,
)

__all__ = [
    "NewAgreement",
    "NewTransaction",
    "PayChoice",
    "PayOutcome",
    "agreement_activate",
    "agreement_create",
    "agreement_stop",
    "payment_method_remove",
    "transaction_bind_payer",
    "transaction_cancel",
    "transaction_create",
    "transaction_pay",
    "transaction_refund",
]
