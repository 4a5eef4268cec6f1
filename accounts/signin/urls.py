"""URLs of the sign-in pages, under /gui/ (namespace "gui")."""

from django.urls import path

from accounts.signin import views

urlpatterns = [
    path("signin", views.signin, name="signin"),
    path("signin/password", views.password, name="signin-password"),
    path("signin/pin", views.pin, name="signin-pin"),
    path("signin/pin/start", views.pin_start, name="signin-pin-start"),
    path("signin/signup", views.signup, name="signin-signup"),
    path("signin/signup-email", views.signup_email, name="signin-signup-email"),
    path("signin/email-sent", views.email_sent, name="signin-email-sent"),
    path("signin/forgot", views.forgot, name="signin-forgot"),
    path("signin/new-password", views.new_password, name="signin-new-password"),
    path("signin/add-email", views.add_email, name="signin-add-email"),
    path("signin/add-phone", views.add_phone, name="signin-add-phone"),
    path("signup", views.signup_link, name="signup-link"),
    path("reset", views.reset_link, name="reset-link"),
]
