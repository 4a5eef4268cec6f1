"""URLs of My CONNECT account, mounted at /gui/mypage: CONNECT's screen paths (spec §6) plus
our own sessions, security and privacy, and the POST-only actions under each screen."""

from django.urls import path

from mypage import auth, views

app_name = "mypage"

urlpatterns = [
    path("", views.index, name="index"),
    path("callback", auth.callback, name="callback"),
    path("overview", views.overview, name="overview"),
    path("signout", views.signout, name="signout"),
    path("changeprofile", views.changeprofile, name="changeprofile"),
    path("changepassword", views.changepassword, name="changepassword"),
    path("manageemail", views.manageemail, name="manageemail"),
    path("manageemail/<str:pk>/resend", views.email_resend, name="email-resend"),
    path("manageemail/<str:pk>/remove", views.email_remove, name="email-remove"),
    path("manageemail/<str:pk>/prefer", views.email_prefer, name="email-prefer"),
    path("undo-email", views.undo_email, name="undo-email"),
    path("managephone", views.managephone, name="managephone"),
    path("managephone/<str:pk>/verify", views.phone_verify, name="phone-verify"),
    path("managephone/<str:pk>/resend", views.phone_resend, name="phone-resend"),
    path("managephone/<str:pk>/remove", views.phone_remove, name="phone-remove"),
    path("managephone/<str:pk>/prefer", views.phone_prefer, name="phone-prefer"),
    path(
        "manageclientauthorizations",
        views.manageclientauthorizations,
        name="manageclientauthorizations",
    ),
    path("manageclientauthorizations/<int:pk>/remove", views.service_remove, name="service-remove"),
    path("sessions", views.sessions, name="sessions"),
    path("sessions/end-others", views.sessions_end_others_view, name="sessions-end-others"),
    path("sessions/<str:pk>/end", views.session_end, name="session-end"),
    path("security", views.security, name="security"),
    path("security/wasnt-me", views.wasnt_me, name="wasnt-me"),
    path("privacy", views.privacy, name="privacy"),
    path("privacy/export", views.privacy_export, name="privacy-export"),
    path("privacy/delete", views.privacy_delete, name="privacy-delete"),
    path("subscriptions", views.subscriptions, name="subscriptions"),
    path("subscriptions/<str:pk>/stop", views.subscription_stop, name="subscription-stop"),
    path(
        "subscriptions/agreements/<str:pk>/stop", views.agreement_stop_view, name="agreement-stop"
    ),
    path("purchasehistory", views.purchasehistory, name="purchasehistory"),
    path(
        "purchasehistory/methods/<str:pk>/remove",
        views.payment_method_remove_view,
        name="payment-method-remove",
    ),
    path("about", views.about, name="about"),
]
