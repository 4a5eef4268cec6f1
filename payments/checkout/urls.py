"""URLs of the payment page."""

from django.urls import URLPattern

app_name = "payment"
urlpatterns: list[URLPattern] = []
