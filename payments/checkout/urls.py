"""URLs of the payment page, mounted at /gui/payment/: the `PAYMENT` link of a transaction, its
cancel action, and the sign-in callback."""

from django.urls import path

from payments.checkout import auth, views

app_name = "payment"

urlpatterns = [
    path("callback", auth.callback, name="callback"),
    path("<str:tx_id>", views.payment_page, name="page"),
    path("<str:tx_id>/cancel", views.payment_cancel, name="cancel"),
]
