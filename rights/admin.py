"""Admin of rights and subscriptions: read-mostly; every change goes through a service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.audit import Actor
from connect_id.errors import DomainError
from rights import services
from rights.models import Right, Subscription


def _each(request: HttpRequest, queryset: QuerySet, run: object, done: str) -> None:
    actor = Actor.of_admin(request.user)  # type: ignore[arg-type]
    count = 0
    for obj in queryset:
        try:
            run(obj, actor)  # type: ignore[operator]
            count += 1
        except DomainError as exc:
            messages.error(request, f"{obj}: {exc.message}")
    if count:
        messages.success(request, f"{count} {done}.")


@admin.register(Right)
class RightAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "sku",
        "grantor_id",
        "service_provider_id",
        "state",
        "start",
        "end",
        "used",
        "deleted_at",
    )
    list_filter = ("state", "used", "grantor_id")
    search_fields = ("id", "user__id", "sku", "grantor_id", "service_provider_id")
    readonly_fields = [f.name for f in Right._meta.fields]
    actions = ["suspend", "reactivate", "terminate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Suspend the selected rights")
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda r, a: services.right_update(
                right=r, actor=a, as_grantor=None, state="SUSPENDED"
            ),
            "rights suspended",
        )

    @admin.action(description="Reactivate the selected rights")
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda r, a: services.right_update(right=r, actor=a, as_grantor=None, state="ACTIVE"),
            "rights reactivated",
        )

    @admin.action(description="Terminate the selected rights")
    def terminate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset.filter(deleted_at__isnull=True),
            lambda r, a: services.right_terminate(right=r, actor=a, as_grantor=None),
            "rights terminated",
        )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "grantor_id",
        "effective_time_spec",
        "state",
        "renews_at",
        "ends_at",
    )
    list_filter = ("state", "grantor_id")
    search_fields = ("id", "user__id", "grantor_id")
    readonly_fields = [f.name for f in Subscription._meta.fields]
    actions = ["suspend", "reactivate", "cancel", "renew"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Suspend the selected subscriptions (and their current rights)")
    def suspend(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda s, a: services.subscription_suspend(subscription=s, actor=a, as_grantor=None),
            "subscriptions suspended",
        )

    @admin.action(description="Reactivate the selected subscriptions")
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda s, a: services.subscription_reactivate(subscription=s, actor=a, as_grantor=None),
            "subscriptions reactivated",
        )

    @admin.action(description="Cancel the selected subscriptions (generated rights stay)")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda s, a: services.subscription_cancel(subscription=s, actor=a, as_grantor=None),
            "subscriptions cancelled",
        )

    @admin.action(description="Generate the rights now due")
    def renew(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(
            request,
            queryset,
            lambda s, a: services.subscription_renew(subscription=s, actor=a),
            "subscriptions renewed",
        )
