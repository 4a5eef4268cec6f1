"""The payment page edge: /gui/payment/… where the payer signs in, picks a method and pays."""
