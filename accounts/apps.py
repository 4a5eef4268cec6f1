"""App config for the identity domain."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Identity"
    default_auto_field = "django.db.models.BigAutoField"
