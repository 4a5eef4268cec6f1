"""Top-level URLs: CONNECT's paths (spec §1), the admin and the health probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from connect_id import health

admin.site.site_header = "CONNECT ID administration"
admin.site.site_title = "CONNECT ID"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(settings.ADMIN_PATH, admin.site.urls),
]
