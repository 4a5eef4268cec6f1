from django.apps import AppConfig


class RightsConfig(AppConfig):
    """Rights Management (spec §4): rights, subscriptions and their periodic renewal."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rights"
