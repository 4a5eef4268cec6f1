"""URLs of the payment API (spec §5.2, §5.3); path parameters keep CONNECT's names.

Included twice (connect_id/urls.py): at the root under this app namespace, and under
PAYMENT_BASE_URL with an instance namespace of its own, so reversing needs no current_app."""

from django.urls import URLPattern, path, re_path

from payments.api import views

app_name = "payment-api"

TX = "transactions/<str:transactionId>"
AG = "agreements/<str:agreementId>"

urlpatterns: list[URLPattern] = [
    path("transactions", views.TransactionsView.as_view(), name="transactions"),
    path(TX, views.TransactionView.as_view(), name="transaction"),
    path(f"{TX}/refunds", views.RefundsView.as_view(), name="refunds"),
    path("agreements", views.AgreementsView.as_view(), name="agreements"),
    path(AG, views.AgreementView.as_view(), name="agreement"),
    path(f"{AG}/stop", views.AgreementStopView.as_view(), name="agreement-stop"),
    re_path(r"^(?:transactions|agreements)/", views.UnknownPaymentPathView.as_view()),
]
