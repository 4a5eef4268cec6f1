"""A client's login options (spec §7.1) are validated by the client services."""

from __future__ import annotations

import pytest

from accounts.errors import ClientInvalid
from accounts.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_defaults_offer_phone_first_and_no_stay_signed_in_box():
    client = ClientFactory()
    assert client.login_identifiers == Client.LoginIdentifiers.PHONE_EMAIL
    assert client.stay_signed_in == Client.StaySignedIn.HIDDEN and not client.require_password


def test_stay_signed_in_is_for_web_clients_only():
    with pytest.raises(ClientInvalid):
        ClientFactory(
            application_type="native",
            platform="android",
            redirect_uris=["com.example.app:/cb"],
            stay_signed_in=Client.StaySignedIn.TICKED,
        )


@pytest.mark.parametrize("field", ["terms_uri", "privacy_uri", "logo_uri"])
def test_links_shown_on_the_pages_must_be_https(field):
    with pytest.raises(ClientInvalid):
        ClientFactory(**{field: "javascript:alert(1)"})
    assert ClientFactory(**{field: "https://rp.example.com/page"})


def test_unknown_options_are_refused():
    with pytest.raises(ClientInvalid):
        ClientFactory(login_identifiers="carrier-pigeon")
