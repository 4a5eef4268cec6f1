"""URLs of the payment page, mounted at /gui/payment/: the `PAYMENT` link of a transaction, its
and its cancel action. The payer signs in through the portal's sign-in (mypage.auth)."""

from django.urls import path

from payments.checkout import views

app_name = "payment"

urlpatterns = [
    path("<str:tx_id>", views.payment_page, name="page"),
    path("<str:tx_id>/cancel", views.payment_cancel, name="cancel"),
]
