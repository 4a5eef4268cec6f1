"""Django admin: every page renders; creating and revoking go through services; secrets once."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from accounts.models import ApiCredential, AuditEvent, Client, User
from accounts.services import account_link_add, email_add
from tests.factories import TEST_ACTOR, ApiCredentialFactory, ClientFactory


@pytest.fixture
def one_of_everything(alice, admin_user):
    email_add(user=alice, address="alice@work.example", actor=TEST_ACTOR)
    account_link_add(
        user=alice, type="telenor-no", external_user_id="C-1", msisdn="4791111111", actor=TEST_ACTOR
    )
    ClientFactory()
    ApiCredentialFactory()
    assert AuditEvent.objects.exists()


def test_every_admin_page_renders(admin_client, one_of_everything):
    checked = set()
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        response = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, (
                info
            )
        obj = model._default_manager.first()
        if obj is not None:
            response = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert response.status_code == 200, info
            checked.add(model)
    assert {User, Client, ApiCredential, AuditEvent} <= checked
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_anonymous_is_sent_to_the_admin_login(anon):
    response = anon.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_non_staff_user_cannot_sign_in_to_the_admin(alice, anon):
    response = anon.post(
        reverse("admin:login"),
        {"username": "alice@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in anon.session


def test_staff_signs_in_with_verified_email_or_phone(admin_user, anon):
    for identifier in ("ROOT@example.com", "+47 933 33 333"):
        anon.logout()
        response = anon.post(
            reverse("admin:login"), {"username": identifier, "password": "correct horse battery"}
        )
        assert response.status_code == 302, identifier
        assert anon.session["_auth_user_id"] == admin_user.pk


@pytest.mark.parametrize("term", ["alice@example.com", "+47 911 11 111", "4791111111"])
def test_find_a_user_by_email_or_phone(admin_client, alice, bob, term):
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": term})
    assert alice.pk in response.content.decode()
    assert bob.pk not in response.content.decode()


def test_find_a_user_by_id(admin_client, alice, bob):
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": alice.pk})
    assert alice.pk in response.content.decode() and bob.pk not in response.content.decode()


def test_adding_a_user_goes_through_the_service_and_is_audited(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.com",
            "phone": "4794444444",
            "realname": "New",
            "password": "a fine passphrase",
            "verified": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(emails__address="new@example.com")
    event = AuditEvent.objects.get(action="user.created", subject=user.pk)
    assert event.actor == f"admin:{admin_user.pk}"
    assert event.ip == "127.0.0.1"


def test_adding_a_user_with_a_taken_email_shows_the_error_and_writes_nothing(admin_client, alice):
    count = User.objects.count()
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Alice@Example.com",
            "verified": "on",
        },
    )
    assert response.status_code == 200
    assert "already verified on another account" in response.content.decode()
    assert User.objects.count() == count


def test_editing_inline_emails_goes_through_services(admin_client, alice):
    email = alice.emails.get()
    phone = alice.phones.get()
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = {
        "realname": "Alice Renamed",
        "birthdate": "1990-01-02",
        "attributes": '{"user-locale": "nb"}',
        "is_active": "on",
        "emails-TOTAL_FORMS": "2",
        "emails-INITIAL_FORMS": "1",
        "emails-MIN_NUM_FORMS": "0",
        "emails-MAX_NUM_FORMS": "1000",
        "emails-0-id": email.pk,
        "emails-0-user": alice.pk,
        "emails-0-address": email.address,
        "emails-0-verified": "on",
        "emails-0-priority": "1",
        "emails-0-preferred": "on",
        "emails-1-address": "Second@EXAMPLE.com",
        "emails-1-priority": "2",
        "emails-1-user": alice.pk,
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "1",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "1000",
        "phones-0-id": phone.pk,
        "phones-0-user": alice.pk,
        "phones-0-number": phone.number,
        "phones-0-type": "",
        "phones-0-verified": "on",
        "phones-0-priority": "0",
        "phones-0-preferred": "on",
        "phones-0-DELETE": "on",
        "account_links-TOTAL_FORMS": "0",
        "account_links-INITIAL_FORMS": "0",
        "account_links-MIN_NUM_FORMS": "0",
        "account_links-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert alice.realname == "Alice Renamed" and alice.attributes == {"user-locale": "nb"}
    assert list(alice.emails.values_list("address", flat=True)) == [
        "alice@example.com",
        "Second@example.com",
    ]
    assert not alice.phones.exists()
    actions = set(AuditEvent.objects.filter(subject=alice.pk).values_list("action", flat=True))
    assert {"user.updated", "email.added", "phone.deleted"} <= actions


def test_registering_a_client_shows_its_secret_exactly_once(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_client_add"),
        {
            "name": "Strusic",
            "client_type": "confidential",
            "platform": "web",
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "allowed_scopes": ["openid", "profile"],
            "redirect_uris": "https://strusic.example/cb",
            "sso_enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'data-name="client_secret">([^<]+)<', response.content.decode()).group(1)
    client = Client.objects.get(name="Strusic")
    assert check_password(secret, client.client_secret) and secret not in client.client_secret
    page = admin_client.get(reverse("admin:accounts_client_change", args=[client.pk]))
    assert secret not in page.content.decode()


def test_client_registration_errors_are_shown_on_the_form(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_client_add"),
        {
            "name": "Bad",
            "client_type": "public",
            "platform": "web",
            "application_type": "web",
            "grant_types": ["client_credentials"],
            "allowed_scopes": ["openid"],
            "redirect_uris": "https://bad.example/cb",
        },
    )
    assert response.status_code == 200
    assert "Public clients cannot use the client_credentials grant" in response.content.decode()
    assert not Client.objects.filter(name="Bad").exists()


def test_editing_a_client_validates_redirect_uris(admin_client):
    client = ClientFactory(name="Editable")
    url = reverse("admin:accounts_client_change", args=[client.pk])
    base = {
        "name": "Editable",
        "client_type": "confidential",
        "platform": "web",
        "application_type": "web",
        "grant_types": ["authorization_code"],
        "allowed_scopes": ["openid"],
        "sso_enabled": "on",
    }
    bad = admin_client.post(url, {**base, "redirect_uris": "http://insecure.example/cb"})
    assert bad.status_code == 200 and "Use https" in bad.content.decode()
    good = admin_client.post(url, {**base, "redirect_uris": "https://new.example/cb"})
    assert good.status_code == 302
    client.refresh_from_db()
    assert client.redirect_uris == "https://new.example/cb"


def test_rotating_a_client_secret_shows_the_new_one_once(admin_client):
    client = ClientFactory()
    response = admin_client.post(
        reverse("admin:accounts_client_changelist"),
        {
            "action": "rotate_secret",
            "_selected_action": [client.pk],
        },
    )
    secret = re.search(r'data-name="client_secret">([^<]+)<', response.content.decode()).group(1)
    client.refresh_from_db()
    assert check_password(secret, client.client_secret)
    assert not check_password(client.secret, client.client_secret)


def test_issuing_and_revoking_api_credentials(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_apicredential_add"),
        {
            "name": "CRM",
            "owner": "Telenor",
            "operations": ["users:read", "mails:read"],
        },
    )
    password = re.search(r'data-name="password">([^<]+)<', response.content.decode()).group(1)
    credential = ApiCredential.objects.get(name="CRM")
    assert password not in credential.secret_hash
    admin_client.post(
        reverse("admin:accounts_apicredential_changelist"),
        {
            "action": "revoke",
            "_selected_action": [credential.pk],
        },
    )
    credential.refresh_from_db()
    assert credential.revoked


def test_audit_events_are_read_only(admin_client, alice):
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_unknown_client_id_in_the_admin_redirects_like_other_models(admin_client):
    response = admin_client.get("/admin/accounts/client/not-a-number/change/")
    assert response.status_code == 302


def test_an_invalid_name_in_the_admin_is_a_form_error(admin_client, alice):
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = {
        "realname": "Eve\u202eevil",
        "attributes": "{}",
        "is_active": "on",
        **{
            f"{p}-{k}": v
            for p in ("emails", "phones", "account_links")
            for k, v in (
                ("TOTAL_FORMS", "0"),
                ("INITIAL_FORMS", "0"),
                ("MIN_NUM_FORMS", "0"),
                ("MAX_NUM_FORMS", "1000"),
            )
        },
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "text-direction override" in response.content.decode()
    alice.refresh_from_db()
    assert alice.realname == "Alice Example"
