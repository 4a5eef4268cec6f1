"""URLs of the payment API."""

from django.urls import URLPattern

app_name = "payment-api"
urlpatterns: list[URLPattern] = []
