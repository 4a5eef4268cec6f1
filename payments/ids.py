"""Opaque, random identifiers of the payment domain (never sequential, never guessable)."""

import secrets


def new_transaction_id() -> str:
    """`tx_` and 128 random bits: it appears in the payment page's URL."""
    return "tx_" + secrets.token_hex(16)


def new_agreement_id() -> str:
    return "ag_" + secrets.token_hex(16)


def new_method_id() -> str:
    return "pm_" + secrets.token_hex(8)
