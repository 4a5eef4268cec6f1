"""The Django admin in a browser: staff sign in with an email, find a user, register a client."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.hashers import secret_matches
from accounts.models import Client, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_ADMIN_EMAIL = "admin@demo.connect-id.example"  # bootstrap_demo's admin
STAFF_PASSWORD = "demo-0123456789abcdef0123"  # the shape of bootstrap_demo's passwords


def demo_style_staff(email: str) -> User:
    """A staff user made as bootstrap_demo makes its admin: an email, no phone, superuser."""
    return UserFactory(
        email=email,
        phone=None,
        password=STAFF_PASSWORD,
        realname="Demo Admin",
        is_staff=True,
        is_superuser=True,
    )


def admin_sign_in(page: Page, live: str, email: str) -> None:
    page.goto(f"{live}/admin/")
    assert page.url.startswith(f"{live}/admin/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url == f"{live}/admin/", page.locator(".errornote").all_inner_texts()


def test_the_demo_admin_signs_in_with_its_email(page: Page, live: str):
    demo_style_staff(DEMO_ADMIN_EMAIL)
    page.goto(f"{live}/admin/login/")
    expect(page.locator("label[for=id_username]")).to_have_text("Email or phone number:")
    page.locator("#id_username").fill(DEMO_ADMIN_EMAIL)
    assert page.locator("#id_username").input_value() == DEMO_ADMIN_EMAIL  # not cut at 19
    admin_sign_in(page, live, DEMO_ADMIN_EMAIL)


def test_staff_signs_in_finds_a_user_by_phone_and_registers_a_client(page: Page, live: str):
    demo_style_staff("ops@example.com")
    UserFactory(email="alice@example.com", phone="4791111111", realname="Alice Example")
    UserFactory(email="bob@example.com", phone="4792222222", realname="Bob Example")
    admin_sign_in(page, live, "ops@example.com")
    expect(page.locator("#site-name")).to_have_text("CONNECT ID administration")

    # The user list, searched by a phone number typed the way people write it.
    page.locator("#content-main").get_by_role("link", name="Users", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.locator("#searchbar").fill("+47 911 11 111")
    page.locator("#searchbar").press("Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Alice Example")
    expect(rows).to_contain_text("4791111111")

    # Register a client: its secret is shown once, on the page after saving.
    page.goto(f"{live}/admin/accounts/client/add/")
    page.get_by_label("User-facing name").fill("Nordic Weather")
    page.get_by_label("Client type").select_option("confidential")
    page.get_by_label("Authorization code").check()
    page.get_by_label("Refresh token").check()
    page.get_by_label("openid: Sign you in").check()
    page.get_by_label("email: Your preferred email address").check()
    page.get_by_label("Redirect URIs:", exact=True).fill("https://weather.example.com/callback")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".errornote")).to_contain_text("will not be shown again")
    client_id = page.locator('code[data-name="client_id"]').inner_text()
    secret = page.locator('code[data-name="client_secret"]').inner_text()
    client = Client.objects.get(client_id=client_id)
    assert client.name == "Nordic Weather" and client.client_type == "confidential"
    assert len(secret) >= 32 and secret_matches(secret, client.client_secret)

    # Once: the client's own page does not show it again.
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_label("User-facing name")).to_have_value("Nordic Weather")
    assert secret not in page.content()
