from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The outbox of domain events, the Event Queue (spec §1.4) and signed webhooks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
