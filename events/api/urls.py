"""URLs of the Event Queue (spec §1.4)."""

app_name = "eventqueue"

urlpatterns: list = []
