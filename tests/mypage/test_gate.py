"""Signing in to the portal: through the sign-in flow and SSO session, as its own client."""

from __future__ import annotations

from accounts.models import AccessToken, Client, SignInSession
from accounts.services.selfservice import PORTAL_CLIENT_ID
from tests.mypage.conftest import enter_portal


def test_anonymous_is_sent_to_sign_in_and_comes_back_to_the_same_screen(alice, anon):
    final = enter_portal(anon, "alice@example.com", screen="/gui/mypage/manageemail")
    assert final.status_code == 200
    assert final.redirect_chain[-1][0] == "/gui/mypage/manageemail"
    assert b"alice@example.com" in final.content


def test_the_portal_is_a_first_party_client_of_the_session(alice, alice_portal):
    client = Client.objects.get(client_id=PORTAL_CLIENT_ID)
    assert client.first_party
    session = SignInSession.objects.get(user=alice, ended_at__isnull=True)
    assert AccessToken.objects.filter(session=session, application=client).exists()
    page = alice_portal.get("/gui/mypage/sessions")
    assert "My CONNECT account" in page.content.decode()


def test_gui_mypage_opens_the_overview(alice_portal):
    response = alice_portal.get("/gui/mypage", follow=True)
    assert response.redirect_chain[-1][0] == "/gui/mypage/overview"
    assert response.status_code == 200
