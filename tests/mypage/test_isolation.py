"""Bob, signed in to the portal, can never see or change anything of Alice's: each action on
Alice's ids is a 404 and changes nothing."""

from __future__ import annotations

import pytest

from accounts.models import Consent, Email, Phone, RefreshToken, SignInSession
from tests.factories import ClientFactory


@pytest.fixture
def alices(alice, portal):
    portal(alice)  # Alice has a live session too
    service = ClientFactory(name="Nordic News")
    Consent.objects.create(user=alice, client=service, scopes=["openid", "email"])
    return {
        "email": Email.objects.get(user=alice),
        "phone": Phone.objects.get(user=alice),
        "session": SignInSession.objects.get(user=alice, ended_at__isnull=True),
        "service": service,
    }


def _state(alice):
    return (
        list(Email.objects.filter(user=alice).values_list("pk", "preferred", "verified")),
        list(Phone.objects.filter(user=alice).values_list("pk", "preferred", "verified")),
        SignInSession.objects.filter(user=alice, ended_at__isnull=True).count(),
        Consent.objects.filter(user=alice).count(),
        RefreshToken.objects.filter(user=alice, revoked__isnull=True).count(),
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/gui/mypage/manageemail/{email}/resend", "post"),
        ("/gui/mypage/manageemail/{email}/remove", "post"),
        ("/gui/mypage/manageemail/{email}/prefer", "post"),
        ("/gui/mypage/managephone/{phone}/verify", "get"),
        ("/gui/mypage/managephone/{phone}/verify", "post"),
        ("/gui/mypage/managephone/{phone}/resend", "post"),
        ("/gui/mypage/managephone/{phone}/remove", "post"),
        ("/gui/mypage/managephone/{phone}/prefer", "post"),
        ("/gui/mypage/manageclientauthorizations/{service}/remove", "post"),
        ("/gui/mypage/sessions/{session}/end", "post"),
    ],
)
def test_bob_gets_404_on_alices_objects_and_nothing_changes(
    alice, alices, bob_portal, path, method
):
    before = _state(alice)
    url = path.format(
        email=alices["email"].pk,
        phone=alices["phone"].pk,
        service=alices["service"].pk,
        session=alices["session"].pk,
    )
    response = getattr(bob_portal, method)(url, {"pin": "123456"} if method == "post" else {})
    assert response.status_code == 404
    assert _state(alice) == before


def test_bob_sees_nothing_of_alice_on_any_screen(alice, alices, bob_portal):
    for screen in (
        "overview",
        "manageemail",
        "managephone",
        "manageclientauthorizations",
        "sessions",
        "security",
    ):
        html = bob_portal.get(f"/gui/mypage/{screen}").content.decode()
        assert "alice@example.com" not in html
        assert "Nordic News" not in html
        assert alices["session"].pk not in html
    assert bob_portal.get("/gui/mypage/privacy/export").json()["id"] != alice.pk
