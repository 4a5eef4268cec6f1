"""The portal's screens as their owner uses them, with Django's test client (no JavaScript)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, Email, Phone, SignInSession
from tests.mypage.conftest import SCREENS
from tests.signin import last_pin


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_opens_with_the_navigation(alice_portal, screen):
    response = alice_portal.get(f"/gui/mypage/{screen}")
    assert response.status_code == 200
    html = response.content.decode()
    for other in SCREENS:
        assert f'href="/gui/mypage/{other}"' in html
    assert 'aria-current="page"' in html
    assert "Content-Security-Policy" in response.headers
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("screen", SCREENS)
def test_anonymous_is_sent_to_sign_in_from_every_screen(anon, screen, db):
    response = anon.get(f"/gui/mypage/{screen}")
    assert response.status_code == 302
    assert response["Location"].startswith("/oauth/authorize?")


def test_overview_shows_name_preferred_contacts_and_what_needs_attention(
    alice, alice_portal, add_email
):
    add_email(alice, "old@example.com")
    html = alice_portal.get("/gui/mypage/overview").content.decode()
    assert "Alice Example" in html
    assert "alice@example.com" in html
    assert "+47 91 11 11 11" in html
    assert '<bdi dir="ltr">old@example.com</bdi> is not verified yet.' in html
    assert "Signed in" in html  # the recent security events


def test_overview_says_when_there_is_no_password(alice, alice_portal):
    alice.set_unusable_password()
    alice.save()
    # The password hash changed: the Django session ends; sign in again by SMS PIN instead.
    html = alice_portal.get("/gui/mypage/overview", follow=True).content.decode()
    assert "Sign in" in html


def test_profile_changes_name_birth_date_and_language(alice, alice_portal):
    response = alice_portal.post(
        "/gui/mypage/changeprofile",
        {"name": "Alice Nordmann", "birthdate": "1990-05-17", "language": "nb"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.realname, str(alice.birthdate), alice.language) == (
        "Alice Nordmann",
        "1990-05-17",
        "nb",
    )
    assert response.cookies["connect_language"].value == "nb"
    page = alice_portal.get("/gui/mypage/changeprofile")
    assert page["Content-Language"] == "nb"
    assert AuditEvent.objects.filter(subject=alice.pk, action="user.updated").exists()


def test_profile_refuses_a_bad_birth_date_with_an_error_summary(alice_portal):
    response = alice_portal.post(
        "/gui/mypage/changeprofile", {"name": "A", "birthdate": "1800-01-01", "language": "en"}
    )
    assert response.status_code == 400
    assert b'id="error-summary"' in response.content


def test_password_change_needs_the_current_one(alice, alice_portal):
    response = alice_portal.post(
        "/gui/mypage/changepassword",
        {
            "current": "wrong",
            "password": "blue fjord morning 42",
            "password2": "blue fjord morning 42",
        },
    )
    assert response.status_code == 400
    assert b"Your current password is wrong." in response.content
    alice.refresh_from_db()
    assert alice.check_password("correct horse battery")


def test_password_change_uses_the_sign_up_policy(alice_portal):
    response = alice_portal.post(
        "/gui/mypage/changepassword",
        {"current": "correct horse battery", "password": "123456", "password2": "123456"},
    )
    assert response.status_code == 400
    assert b'id="error-summary"' in response.content


def test_password_change_ends_other_sessions_and_tells_verified_channels(
    alice, alice_portal, portal, sms_outbox, commit
):
    other = portal(alice)  # a second browser
    mail.outbox.clear()
    sms_outbox.clear()
    with commit():
        response = alice_portal.post(
            "/gui/mypage/changepassword",
            {
                "current": "correct horse battery",
                "password": "blue fjord morning 42",
                "password2": "blue fjord morning 42",
            },
        )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("blue fjord morning 42")
    assert SignInSession.objects.filter(user=alice, ended_at__isnull=True).count() == 1
    assert alice_portal.get("/gui/mypage/overview").status_code == 200  # still signed in here
    assert other.get("/gui/mypage/overview").status_code == 302  # signed out there
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert [m.to for m in sms_outbox] == ["4791111111"]


def test_adding_an_email_mails_a_verification_link(alice, alice_portal, client, commit):
    with commit():
        response = alice_portal.post("/gui/mypage/manageemail", {"email": "alice@work.example"})
    assert response.status_code == 302
    email = Email.objects.get(user=alice, address="alice@work.example")
    assert not email.verified
    (message,) = mail.outbox
    assert message.to == ["alice@work.example"]
    link = next(w for w in message.body.split() if "/gui/verify-email?" in w)
    from urllib.parse import parse_qs, urlsplit

    token = parse_qs(urlsplit(link).query)["token"][0]
    verify = client.post("/gui/verify-email", {"token": token})
    assert verify.status_code == 200
    email.refresh_from_db()
    assert email.verified


def test_adding_a_bad_email_shows_the_error(alice_portal):
    response = alice_portal.post("/gui/mypage/manageemail", {"email": "not an address"})
    assert response.status_code == 400
    assert b'id="error-summary"' in response.content


def test_resend_mails_the_link_again(alice, alice_portal, commit, add_email):
    email = add_email(alice, "later@example.com")
    with commit():
        response = alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/resend")
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["later@example.com"]


def test_the_last_way_to_sign_in_cannot_be_removed(alice, alice_portal):
    Phone.objects.filter(user=alice).delete()
    email = Email.objects.get(user=alice)
    page = alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/remove", follow=True)
    assert "This is your last verified email or phone." in page.content.decode()
    assert Email.objects.filter(pk=email.pk).exists()


def test_an_email_can_be_removed_while_a_phone_remains(alice, alice_portal):
    email = Email.objects.get(user=alice)
    alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/remove")
    assert not Email.objects.filter(pk=email.pk).exists()


def test_changing_the_preferred_email_tells_the_old_address_with_an_undo_link(
    alice, alice_portal, client, commit, add_email
):
    new = add_email(alice, "new@example.com", verified=True)
    mail.outbox.clear()
    with commit():
        response = alice_portal.post(f"/gui/mypage/manageemail/{new.pk}/prefer")
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.preferred
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "new@example.com" in message.body
    link = next(w for w in message.body.split() if "/gui/mypage/undo-email?" in w)
    path = link.replace("http://testserver", "")
    assert client.get(path).status_code == 200  # a GET (a mail scanner) changes nothing
    assert Email.objects.get(pk=new.pk).preferred
    token = path.split("token=")[1]
    from urllib.parse import unquote

    done = client.post("/gui/mypage/undo-email", {"token": unquote(token)})
    assert done.status_code == 200
    assert Email.objects.get(user=alice, address="alice@example.com").preferred


def test_an_unverified_email_cannot_be_made_preferred(alice, alice_portal, add_email):
    email = add_email(alice, "later@example.com")
    page = alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/prefer", follow=True)
    assert "Only a verified address or number can be made preferred." in page.content.decode()


def test_adding_a_phone_texts_a_pin_entered_on_the_page(alice, alice_portal, commit):
    with commit():
        response = alice_portal.post("/gui/mypage/managephone", {"phone": "+47 412 34 567"})
    assert response.status_code == 302
    phone = Phone.objects.get(user=alice, number="4741234567")
    assert response["Location"] == f"/gui/mypage/managephone/{phone.pk}/verify"
    wrong = alice_portal.post(response["Location"], {"pin": "000000"})
    assert wrong.status_code == 400
    done = alice_portal.post(response["Location"], {"pin": last_pin("4741234567")})
    assert done.status_code == 302
    phone.refresh_from_db()
    assert phone.verified
    html = alice_portal.get("/gui/mypage/managephone").content.decode()
    assert "+47 41 23 45 67" in html and "+47 91 11 11 11" in html  # several phones


def test_a_second_phone_can_be_made_preferred_and_the_first_removed(alice, alice_portal, add_phone):
    second = add_phone(alice, "4741234567", verified=True)
    alice_portal.post(f"/gui/mypage/managephone/{second.pk}/prefer")
    second.refresh_from_db()
    assert second.preferred
    first = Phone.objects.get(user=alice, number="4791111111")
    alice_portal.post(f"/gui/mypage/managephone/{first.pk}/remove")
    assert not Phone.objects.filter(pk=first.pk).exists()


def test_resending_a_pin(alice, alice_portal, sms_outbox, commit, add_phone):
    phone = add_phone(alice, "4741234567")
    with commit():
        response = alice_portal.post(f"/gui/mypage/managephone/{phone.pk}/resend")
    assert response["Location"] == f"/gui/mypage/managephone/{phone.pk}/verify"
    assert sms_outbox[-1].to == "4741234567"


def test_sessions_list_browser_ip_and_services_and_sign_out_others(alice, alice_portal, portal):
    portal(alice)
    html = alice_portal.get("/gui/mypage/sessions").content.decode()
    assert html.count('class="item"') == 2
    assert "This browser" in html
    assert "My CONNECT account" in html
    assert alice_portal.post("/gui/mypage/sessions/end-others").status_code == 302
    assert SignInSession.objects.filter(user=alice, ended_at__isnull=True).count() == 1


def test_one_other_session_can_be_signed_out(alice, alice_portal, portal):
    portal(alice)
    mine = alice_portal.session["connect_sid"]
    other = SignInSession.objects.exclude(pk=mine).get(user=alice, ended_at__isnull=True)
    response = alice_portal.post(f"/gui/mypage/sessions/{other.pk}/end")
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.ended_at is not None


def test_security_log_lists_sign_ins(alice_portal):
    html = alice_portal.get("/gui/mypage/security").content.decode()
    assert "Signed in" in html
    assert "This wasn&#x27;t me" in html or "This wasn't me" in html


def test_this_wasnt_me_signs_out_everywhere_revokes_tokens_and_mails_a_reset_link(
    alice, alice_portal, portal, commit
):
    from accounts.models import AccessToken, RefreshToken

    portal(alice)
    mail.outbox.clear()
    with commit():
        response = alice_portal.post("/gui/mypage/security/wasnt-me")
    assert response.status_code == 200
    assert not SignInSession.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert not AccessToken.objects.filter(user=alice).exists()
    assert not RefreshToken.objects.filter(user=alice, revoked__isnull=True).exists()
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"] and "/gui/reset?" in message.body
    assert alice_portal.get("/gui/mypage/overview").status_code == 302


def test_export_is_json_with_the_account_and_no_secrets(alice, alice_portal):
    response = alice_portal.get("/gui/mypage/privacy/export")
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["id"] == alice.pk
    assert data["emails"][0]["address"] == "alice@example.com"
    assert "password" not in response.content.decode().replace("has_password", "")


def test_deleting_the_account_needs_the_box_ticked(alice, alice_portal):
    response = alice_portal.post("/gui/mypage/privacy/delete", {})
    assert response.status_code == 400
    assert b'id="error-summary"' in response.content


def test_deleting_the_account_frees_its_email_and_phone_and_retires_the_id(alice, alice_portal):
    from accounts.models import RetiredUserId, User

    user_id = alice.pk
    response = alice_portal.post("/gui/mypage/privacy/delete", {"confirm": "on"})
    assert response.status_code == 200
    assert not User.objects.filter(pk=user_id).exists()
    assert RetiredUserId.objects.filter(pk=user_id).exists()
    assert not Email.objects.filter(address="alice@example.com").exists()
    assert AuditEvent.objects.filter(subject=user_id).exclude(ip=None).count() == 0
    assert alice_portal.get("/gui/mypage/overview").status_code == 302


def test_sensitive_actions_need_a_recent_password_sign_in(alice, alice_portal):
    SignInSession.objects.filter(user=alice).update(
        auth_time=timezone.now() - dt.timedelta(hours=1)
    )
    email = Email.objects.get(user=alice)
    response = alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/remove")
    assert response.status_code == 302
    assert "max_age=0" in response["Location"] and "acr_values=2" in response["Location"]
    assert Email.objects.filter(pk=email.pk).exists()  # nothing happened yet
    # Through the password step of the sign-in flow, and back to the screen.
    authorize = alice_portal.get(response["Location"])
    signin = alice_portal.get(authorize["Location"])
    assert signin["Location"] == "/gui/signin/password"
    done = alice_portal.post("/gui/signin/password", {"password": "correct horse battery"})
    back = alice_portal.get(done["Location"], follow=True)
    assert back.redirect_chain[-1][0] == "/gui/mypage/manageemail"
    assert "For your security you signed in again." in back.content.decode()
    session = SignInSession.objects.get(user=alice, ended_at__isnull=True)
    assert timezone.now() - session.auth_time < dt.timedelta(minutes=1)
    alice_portal.post(f"/gui/mypage/manageemail/{email.pk}/remove")
    assert not Email.objects.filter(pk=email.pk).exists()


def test_the_password_screen_needs_a_recent_sign_in(alice, alice_portal, settings):
    settings.MYPAGE_STEP_UP_SECONDS = 0
    SignInSession.objects.filter(user=alice).update(
        auth_time=timezone.now() - dt.timedelta(seconds=5)
    )
    response = alice_portal.get("/gui/mypage/changepassword")
    assert response.status_code == 302
    assert "max_age=0" in response["Location"]


def test_signing_out_from_the_portal(alice, alice_portal):
    response = alice_portal.post("/gui/mypage/signout")
    assert response.status_code == 200
    assert not SignInSession.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert alice_portal.get("/gui/mypage/overview?action=logout").status_code == 302
