"""RP-initiated logout without an id_token_hint: the user confirms, then must sign in again."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Client, SignInSession
from tests.browser.conftest import GOODBYE, REDIRECT, RelyingParty, authorize_url, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_logout_asks_for_confirmation_then_the_next_authorization_asks_to_sign_in(
    page: Page, rp: Client, rp_site: RelyingParty, live: str
):
    UserFactory(email="kari@example.com", phone="4798765432")
    rp_site.send(page, authorize_url(live, rp, state="st-in", scope="openid email"))
    sign_in(page, "kari@example.com")
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(f"{REDIRECT}?**state=st-in**")

    logout = f"{live}/oauth/logout?" + urlencode(
        {"client_id": rp.client_id, "post_logout_redirect_uri": GOODBYE, "state": "bye-1"}
    )

    # No id_token_hint, so no proof the client asked: the user is asked. "Stay signed in" keeps
    # the session.
    rp_site.send(page, logout)
    expect(page).to_have_title("Sign out · CONNECT ID")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of CONNECT ID?")
    expect(page.get_by_text("Nordic News asks you to sign out.")).to_be_visible()
    page.get_by_role("button", name="Stay signed in").click()
    page.wait_for_url(f"{live}/**")
    assert SignInSession.objects.get().ended_at is None
    rp_site.send(page, authorize_url(live, rp, state="st-still", scope="openid email"))
    page.wait_for_url(f"{REDIRECT}?**state=st-still**")

    # Confirming signs out and returns to the registered post-logout URI with the state.
    rp_site.send(page, logout)
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(f"{GOODBYE}?**")
    assert rp_site.visits[-1] == f"{GOODBYE}?state=bye-1"
    assert SignInSession.objects.get().ended_at is not None

    # Signed out: the next authorization asks to sign in again.
    rp_site.send(page, authorize_url(live, rp, state="st-after", scope="openid email"))
    page.wait_for_url(f"{live}/gui/signin?next=**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in or create your CONNECT ID")
    assert not rp_site.visits[-1].endswith("state=st-after")
