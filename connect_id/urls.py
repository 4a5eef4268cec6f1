"""Top-level URLs: CONNECT's paths (spec §1), the admin and the health probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from accounts.oidc import views as oidc_views
from accounts.oidc.urls import gui_patterns, oauth_patterns
from connect_id import health

admin.site.site_header = "CONNECT ID administration"
admin.site.site_title = "CONNECT ID"

# A database outage answers 503 with Retry-After (connect_id.outage), any other error 500.
handler500 = "connect_id.outage.server_error"

urlpatterns = [
    # The hot paths first: Django tries the patterns in order, so the OpenID Provider and the
    # /id/ REST API (userdata) resolve without walking the others.
    path("oauth/", include((oauth_patterns, "oidc"))),
    path("id/", include("userdata.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(settings.ADMIN_PATH, admin.site.urls),
    # The Event Queue (spec §1.4): an edge of the events domain.
    path("event/queue/", include("events.api.urls")),
    # CONNECT Payment (spec §5): /transactions and /agreements, also under PAYMENT_BASE_URL (so a
    # client written for payment.telenordigital.com works by changing its base URL), and the
    # payment page the PAYMENT link points at.
    path("", include("payments.api.urls")),
    *(
        [
            path(
                f"{settings.PAYMENT_BASE_URL.strip('/')}/",
                # An instance namespace of its own: one namespace included twice is ambiguous.
                include("payments.api.urls", namespace="payment-api-prefixed"),
            )
        ]
        if settings.PAYMENT_BASE_URL.strip("/")
        else []
    ),
    path("gui/payment/", include("payments.checkout.urls")),
    path("gui/verify-email", include("accounts.urls")),
    path("gui/connect/tnc", account_views.terms, name="terms"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", account_views.home, name="home"),
    path("gui/mypage/", include("mypage.urls")),
    path("gui/", include((gui_patterns, "gui"))),
    # Discovery at the root too: later CONNECT SDKs look there (spec §A9).
    path(".well-known/openid-configuration", oidc_views.discovery, name="discovery"),
]
