"""URLs of the identity domain's own pages, mounted at /gui/verify-email."""

from django.urls import path

from accounts import views

urlpatterns = [path("", views.email_verify, name="verify-email")]
