"""URLs of the Event Queue (spec §1.4), included at /event/queue/."""

from django.urls import path

from events.api import views

app_name = "eventqueue"

urlpatterns = [
    path("<str:queue_id>/next", views.next_message, name="next"),
    path("<str:queue_id>/ack", views.ack_message, name="ack"),
]
