"""Django admin for the events domain: changes go through services; the rest is read-only."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from connect_id.errors import DomainError
from events import services
from events.forms import EventQueueForm, WebhookEndpointForm
from events.models import (
    Event,
    EventQueue,
    QueueMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.pk}"


def _change_url(obj: Any) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAddMixin(admin.ModelAdmin):
    """The add page is a plain form whose valid input goes to one service."""

    add_form: type[forms.Form]
    add_title: str

    def create(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        raise NotImplementedError

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = self.add_form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                return self.create(request, form)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.add_title,
            "form": form,
        }
        return TemplateResponse(request, "admin/service_form.html", context)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "user_id", "owner_list", "created_at"]
    list_filter = ["name"]
    search_fields = ["=id", "=user_id", "name"]
    readonly_fields = ["id", "name", "user_id", "owners", "created_at", "pretty_payload"]
    fields = [*readonly_fields]

    @admin.display(description="Owners")
    def owner_list(self, obj: Event) -> str:
        return ", ".join(obj.owners)

    @admin.display(description="Payload")
    def pretty_payload(self, obj: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))


@admin.register(EventQueue)
class EventQueueAdmin(ServiceAddMixin):
    list_display = ["id", "owner_id", "name", "enabled", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["=id", "=owner_id", "name"]
    readonly_fields = ["id", "owner_id", "name", "enabled", "created_at"]
    fields = [*readonly_fields]
    actions = ["enable", "disable"]
    add_form = EventQueueForm
    add_title = "Open an event queue"

    def create(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        queue = services.event_queue_create(actor=_actor(request), **form.cleaned_data)
        messages.success(
            request, f"Event queue {queue.pk} opened for {queue.owner_id}: /event/queue/{queue.pk}/"
        )
        return HttpResponseRedirect(_change_url(queue))

    @admin.action(description="Enable selected queues")
    def enable(self, request: HttpRequest, queryset: QuerySet[EventQueue]) -> None:
        for queue in queryset:
            services.event_queue_set_enabled(queue=queue, enabled=True, actor=_actor(request))
        messages.success(request, f"{len(queryset)} queue(s) enabled.")

    @admin.action(description="Disable selected queues")
    def disable(self, request: HttpRequest, queryset: QuerySet[EventQueue]) -> None:
        for queue in queryset:
            services.event_queue_set_enabled(queue=queue, enabled=False, actor=_actor(request))
        messages.success(request, f"{len(queryset)} queue(s) disabled.")


@admin.register(QueueMessage)
class QueueMessageAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "queue", "event", "visible_after", "receive_count", "created_at"]
    list_select_related = ["queue", "event"]
    search_fields = ["=message_id", "=queue__id", "=event__id"]
    readonly_fields = [
        "message_id",
        "queue",
        "event",
        "visible_after",
        "receive_count",
        "created_at",
    ]
    fields = [*readonly_fields]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAddMixin):
    list_display = [
        "owner_id",
        "url",
        "contact_email",
        "enabled",
        "consecutive_failures",
        "disabled_at",
    ]
    list_filter = ["enabled"]
    search_fields = ["=owner_id", "url", "contact_email"]
    readonly_fields = [
        "owner_id",
        "url",
        "description",
        "contact_email",
        "enabled",
        "consecutive_failures",
        "disabled_at",
        "created_at",
    ]
    fields = [*readonly_fields]
    actions = ["enable", "disable"]
    add_form = WebhookEndpointForm
    add_title = "Add a webhook endpoint"

    def create(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        endpoint, secret = services.webhook_endpoint_create(
            actor=_actor(request), **form.cleaned_data
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Signing secret for {endpoint}",
            "original": endpoint,
            "rows": [("owner", endpoint.owner_id), ("url", endpoint.url), ("secret", secret)],
            "notice": "Copy the signing secret now and give it to the endpoint's owner. It is "
            "stored encrypted and will not be shown again.",
            "change_url": _change_url(endpoint),
        }
        response = TemplateResponse(request, "admin/secret_once.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Enable selected endpoints (forget their failures)")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_enable(endpoint=endpoint, actor=_actor(request))
        messages.success(request, f"{len(queryset)} endpoint(s) enabled.")

    @admin.action(description="Disable selected endpoints")
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_disable(endpoint=endpoint, actor=_actor(request))
        messages.success(request, f"{len(queryset)} endpoint(s) disabled.")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    readonly_fields = ["number", "started_at", "duration_ms", "status", "error"]
    fields = [*readonly_fields]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "event",
        "endpoint",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["=event__id", "=endpoint__owner_id"]
    readonly_fields = [
        "event",
        "endpoint",
        "state",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    fields = [*readonly_fields]
    inlines = [WebhookAttemptInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is the read-only detail with its attempts; nothing can be saved.
        return False
