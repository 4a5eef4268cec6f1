"""Django admin for the identity domain. Every change goes through a service."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts import services
from accounts.audit import Actor
from accounts.errors import PhoneInvalid
from accounts.forms import (
    AccountLinkInlineForm,
    AdminSignInForm,
    ApiCredentialForm,
    ClientForm,
    EmailInlineForm,
    PhoneInlineForm,
    SetPasswordForm,
    UserChangeForm,
    UserCreateForm,
)
from accounts.models import AccountLink, ApiCredential, AuditEvent, Client, Email, Phone, User
from accounts.validators import normalize_phone
from connect_id.errors import DomainError

admin.site.login_form = AdminSignInForm

_FormT = TypeVar("_FormT", bound=forms.Form)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of_admin(request.user)  # type: ignore[arg-type]


def _form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: str,
    form: _FormT,
    on_valid: Callable[[_FormT], HttpResponse],
    obj: Any = None,
) -> HttpResponse:
    """Render *form*; when it is valid, call *on_valid*, turning a DomainError into form errors."""
    if request.method == "POST" and form.is_valid():
        try:
            return on_valid(form)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "original": obj,
    }
    return TemplateResponse(request, "admin/service_form.html", context)


def _secret_once(
    model_admin: admin.ModelAdmin, request: HttpRequest, *, obj: Any, rows: list[tuple[str, str]]
) -> HttpResponse:
    """Show a newly issued secret exactly once: it is stored only as a digest."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Credentials for {obj}",
        "original": obj,
        "rows": rows,
        "notice": "Copy these now. The secret is stored only as a digest and will not be shown "
        "again.",
        "change_url": reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]
        ),
    }
    response = TemplateResponse(request, "admin/secret_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- Users ----------------------------------------------------------------------------------


class ServiceInlineFormSet(BaseInlineFormSet):
    """Inline rows are saved by ModelAdmin.save_formset through services, never directly."""


class EmailInline(admin.TabularInline):
    model = Email
    form = EmailInlineForm
    formset = ServiceInlineFormSet
    extra = 0
    readonly_fields = ["verified_at", "generation"]


class PhoneInline(admin.TabularInline):
    model = Phone
    form = PhoneInlineForm
    formset = ServiceInlineFormSet
    extra = 0
    readonly_fields = ["verified_at", "generation"]


class AccountLinkInline(admin.TabularInline):
    model = AccountLink
    form = AccountLinkInlineForm
    formset = ServiceInlineFormSet
    extra = 0
    readonly_fields = ["created_at"]


def _preferred(model: type[Email] | type[Phone], field: str) -> Subquery:
    rows = model.objects.filter(user=OuterRef("pk"), preferred=True).values(field)[:1]
    return Subquery(rows)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["id", "realname", "email", "phone", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["=id", "realname", "emails__address", "=phones__number"]
    readonly_fields = [
        "id",
        "password_link",
        "generation",
        "last_login",
        "created_at",
        "updated_at",
    ]
    fields = [
        "id",
        "realname",
        "birthdate",
        "attributes",
        "password_link",
        "is_active",
        "is_staff",
        "is_superuser",
        "generation",
        "last_login",
        "created_at",
        "updated_at",
    ]
    form = UserChangeForm
    inlines = [EmailInline, PhoneInline, AccountLinkInline]
    actions = ["delete_users"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                preferred_email=_preferred(Email, "address"),
                preferred_phone=_preferred(Phone, "number"),
            )
        )

    @admin.display(description="Email", ordering="preferred_email")
    def email(self, obj: User) -> str:
        return getattr(obj, "preferred_email", None) or "—"

    @admin.display(description="Phone", ordering="preferred_phone")
    def phone(self, obj: User) -> str:
        return getattr(obj, "preferred_phone", None) or "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        # Find a user by a phone typed any way ("+47 912 34 567"): search its E.164 digits too.
        term = search_term.strip()
        if term and "@" not in term and any(c.isdigit() for c in term):
            with contextlib.suppress(PhoneInvalid):
                term = normalize_phone(term, default_region=settings.PHONE_DEFAULT_REGION)
        return super().get_search_results(request, queryset, term)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<str:object_id>/password/",
                self.admin_site.admin_view(self.password_view),
                name="accounts_user_password",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)

        def create(form: forms.Form) -> HttpResponse:
            user = services.user_create(actor=_actor(request), **form.cleaned_data)
            messages.success(request, f"User {user.pk} created.")
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))

        form = UserCreateForm(request.POST or None)
        return _form_page(self, request, title="Add user", form=form, on_valid=create)

    def password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        user = get_object_or_404(User, pk=object_id)
        if not self.has_change_permission(request, user):
            return HttpResponse(status=403)

        def set_password(form: forms.Form) -> HttpResponse:
            services.user_set_password(
                user=user, password=form.cleaned_data["password"], actor=_actor(request)
            )
            messages.success(request, "Password changed.")
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))

        form = SetPasswordForm(request.POST or None)
        return _form_page(
            self,
            request,
            title=f"Set password for {user}",
            form=form,
            on_valid=set_password,
            obj=user,
        )

    @admin.display(description="Password")
    def password_link(self, obj: User) -> str:
        url = reverse("admin:accounts_user_password", args=[obj.pk])
        state = "set" if obj.active else "not set"
        return format_html('{} &middot; <a href="{}">Set a new password</a>', state, url)

    def save_model(
        self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        current = User.objects.get(pk=obj.pk)
        services.user_update(
            user=current,
            actor=_actor(request),
            realname=data.get("realname", current.realname),
            birthdate=data.get("birthdate", current.birthdate),
            attributes=data.get("attributes", current.attributes),
            is_active=data.get("is_active"),
            is_staff=data.get("is_staff"),
            is_superuser=data.get("is_superuser"),
        )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        actor, user = _actor(request), User.objects.get(pk=form.instance.pk)
        # The admin's change message reads what formset.save() would have recorded.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed() and row not in formset.deleted_forms:
                continue
            try:
                _save_inline_row(row, user=user, actor=actor, deleted=row in formset.deleted_forms)
            except DomainError as exc:
                messages.error(request, f"{row.instance}: {exc.message}")

    @admin.action(description="Delete selected users (and retire their ids)")
    def delete_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_delete(user=user, actor=_actor(request))
        messages.success(request, f"{len(queryset)} user(s) deleted.")

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.user_delete(user=obj, actor=_actor(request))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletes without retiring ids: use delete_users
        return actions


def _save_inline_row(row: forms.ModelForm, *, user: User, actor: Actor, deleted: bool) -> None:
    """Apply one changed inline row through the services."""
    obj, data = row.instance, row.cleaned_data
    if deleted:
        if obj.pk and not obj._state.adding:
            if isinstance(obj, AccountLink):
                services.account_link_delete(link=obj, actor=actor)
            else:
                services.contact_delete(contact=type(obj).objects.get(pk=obj.pk), actor=actor)
        return
    if isinstance(obj, AccountLink):
        if obj._state.adding:
            services.account_link_add(
                user=user,
                type=data["type"],
                external_user_id=data["external_user_id"],
                msisdn=data.get("msisdn", ""),
                actor=actor,
            )
        return
    if obj._state.adding:
        add = services.email_add if isinstance(obj, Email) else services.phone_add
        value_field = "address" if isinstance(obj, Email) else "number"
        extra = {"type": data.get("type", "")} if isinstance(obj, Phone) else {}
        add(
            user=user,
            actor=actor,
            verified=data["verified"],
            priority=data["priority"],
            preferred=data["preferred"],
            **{value_field: data[value_field]},
            **extra,
        )
        return
    contact = type(obj).objects.get(pk=obj.pk)
    if "verified" in row.changed_data:
        verify = services.contact_verify if data["verified"] else services.contact_unverify
        contact = verify(contact=contact, actor=actor)
    if "priority" in row.changed_data:
        contact = services.contact_set_priority(
            contact=contact, priority=data["priority"], actor=actor
        )
    if "preferred" in row.changed_data and data["preferred"]:
        services.contact_make_preferred(contact=contact, actor=actor)


# --- OAuth clients --------------------------------------------------------------------------


class ClientAdmin(admin.ModelAdmin):
    """Registered by django-oauth-toolkit through its APPLICATION_ADMIN_CLASS setting."""

    list_display = [
        "name",
        "client_id",
        "client_type",
        "platform",
        "first_party",
        "enabled",
        "created",
    ]
    list_filter = ["client_type", "platform", "skip_authorization", "enabled"]
    search_fields = ["name", "=client_id", "company"]
    actions = ["rotate_secret", "disable_clients", "enable_clients"]

    @admin.display(boolean=True, description="First-party")
    def first_party(self, obj: Client) -> bool:
        return obj.skip_authorization

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)

        def create(form: ClientForm) -> HttpResponse:
            client, secret = services.client_create(actor=_actor(request), **form.registration())
            rows = [("client_id", client.client_id)]
            if secret:
                rows.append(("client_secret", secret))
            return _secret_once(self, request, obj=client, rows=rows)

        form = ClientForm(
            request.POST or None,
            initial={
                "sso_enabled": True,
                "login_identifiers": "phone_email",
                "stay_signed_in": "hidden",
            },
        )
        return _form_page(self, request, title="Register a client", form=form, on_valid=create)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        client = self.get_object(request, unquote(object_id))
        if client is None:
            # A private ModelAdmin helper that django-stubs does not declare.
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not self.has_change_permission(request, client):
            return HttpResponse(status=403)

        def update(form: ClientForm) -> HttpResponse:
            services.client_update(client=client, actor=_actor(request), **form.registration())
            messages.success(request, f"Client {client.name} saved.")
            return HttpResponseRedirect(reverse("admin:accounts_client_changelist"))

        form = ClientForm(request.POST or None, initial=ClientForm.initial_for(client))
        return _form_page(
            self,
            request,
            title=f"Client {client.name} ({client.client_id})",
            form=form,
            on_valid=update,
            obj=client,
        )

    @admin.action(description="Issue a new secret (shown once)")
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[Client]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            messages.error(request, "Select exactly one confidential client.")
            return None
        client = queryset.get()
        try:
            secret = services.client_rotate_secret(client=client, actor=_actor(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            return None
        rows = [("client_id", client.client_id), ("client_secret", secret)]
        return _secret_once(self, request, obj=client, rows=rows)

    @admin.action(description="Disable selected clients")
    def disable_clients(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset:
            services.client_set_enabled(client=client, enabled=False, actor=_actor(request))

    @admin.action(description="Enable selected clients")
    def enable_clients(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset:
            services.client_set_enabled(client=client, enabled=True, actor=_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False  # disable instead: deleting would silently drop the audit trail's target


# --- API credentials ------------------------------------------------------------------------


@admin.register(ApiCredential)
class ApiCredentialAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "username",
        "owner",
        "operation_list",
        "grantor_id",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=username", "owner", "=grantor_id"]
    readonly_fields = [
        "name",
        "username",
        "owner",
        "grantor_id",
        "operations",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = [*readonly_fields]  # a list of the same names, typed as ModelAdmin.fields
    actions = ["revoke"]

    @admin.display(description="Operations")
    def operation_list(self, obj: ApiCredential) -> str:
        return ", ".join(obj.operations)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)

        def create(form: forms.Form) -> HttpResponse:
            credential, secret = services.api_credential_create(
                actor=_actor(request), **form.cleaned_data
            )
            rows = [("username", credential.username), ("password", secret)]
            return _secret_once(self, request, obj=credential, rows=rows)

        form = ApiCredentialForm(request.POST or None)
        return _form_page(self, request, title="Issue API credentials", form=form, on_valid=create)

    @admin.action(description="Revoke selected credentials")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiCredential]) -> None:
        for credential in queryset:
            services.api_credential_revoke(credential=credential, actor=_actor(request))
        messages.success(request, f"{len(queryset)} credential(s) revoked.")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Audit ----------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "subject", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["=subject", "actor", "target", "=ip"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
