"""Admin forms of the events domain: they check shape; the services check the rules."""

from __future__ import annotations

from django import forms


class EventQueueForm(forms.Form):
    owner_id = forms.CharField(
        label="Owner id", max_length=100, help_text="The grantor or service provider id."
    )
    name = forms.CharField(max_length=200, required=False, help_text="Who consumes it.")


class WebhookEndpointForm(forms.Form):
    owner_id = forms.CharField(
        label="Owner id", max_length=100, help_text="The grantor or service provider id."
    )
    url = forms.CharField(
        label="URL", max_length=2000, help_text="https:// (http:// only to localhost in DEBUG)."
    )
    contact_email = forms.CharField(
        max_length=254, help_text="Told by mail if the endpoint is disabled after failures."
    )
    description = forms.CharField(max_length=200, required=False)
