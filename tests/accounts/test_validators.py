"""Input normalisation: phones to E.164 digits, emails, redirect URIs."""

import pytest

from accounts.errors import EmailInvalid, PhoneInvalid, RedirectUriInvalid
from accounts.validators import normalize_email, normalize_phone, validate_redirect_uri


@pytest.mark.parametrize(
    "raw", ["4791234567", "+47 912 34 567", "0047 912 34 567", "91234567", "+47 (912) 34-567"]
)
def test_phone_numbers_become_e164_digits_without_plus(raw):
    assert normalize_phone(raw, default_region="NO") == "4791234567"


@pytest.mark.parametrize("raw", ["", "12", "abc", "+99 123", "4791234567" * 4])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(PhoneInvalid):
        normalize_phone(raw, default_region="NO")


def test_email_domain_is_lower_cased_and_local_part_kept():
    assert normalize_email("  Kari.N@Example.COM ") == "Kari.N@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@", "@b.c", "a b@c.d"])
def test_invalid_emails_are_refused(raw):
    with pytest.raises(EmailInvalid):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("uri", "native"),
    [
        ("https://rp.example.com/cb", False),
        ("http://localhost:8081/connect/oauth2callback", False),
        ("http://127.0.0.1:5000/cb", True),
        ("com.example.app:/oauth2redirect", True),
        ("connect-demo-android://connect/oauth2callback", True),
        ("urn:ietf:wg:oauth:2.0:oob:auto", True),
    ],
)
def test_acceptable_redirect_uris(uri, native):
    assert validate_redirect_uri(uri, native=native) == uri


@pytest.mark.parametrize(
    ("uri", "native"),
    [
        ("http://rp.example.com/cb", False),  # plain http off loopback
        ("https://rp.example.com/cb#frag", False),  # RFC 6749 §3.1.2: no fragment
        ("/relative/cb", False),
        ("com.example.app:/cb", False),  # private schemes are for native apps
        ("urn:ietf:wg:oauth:2.0:oob", False),
        ("javascript:alert(1)", True),
    ],
)
def test_refused_redirect_uris(uri, native):
    with pytest.raises(RedirectUriInvalid):
        validate_redirect_uri(uri, native=native)
