"""A verified email or phone belongs to one user; one preferred each; ids are opaque."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.errors import EmailTaken, PhoneInvalid, PhoneTaken
from accounts.models import AuditEvent, Email, Phone, RetiredUserId, User
from accounts.services import (
    contact_delete,
    contact_make_preferred,
    contact_verify,
    email_add,
    phone_add,
    user_create,
    user_delete,
)
from tests.factories import TEST_ACTOR, UserFactory


def _counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Email.objects.count(),
        Phone.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    "second", ["ALICE@example.com", "Alice@Example.COM", " alice@EXAMPLE.com "]
)
def test_second_user_cannot_hold_alices_verified_email_in_any_case(alice, second):
    before = _counts()
    with pytest.raises(EmailTaken) as caught:
        user_create(actor=TEST_ACTOR, email=second, password="another good one", verified=True)
    assert caught.value.code == "email_taken"
    assert caught.value.status == 409
    assert _counts() == before  # nothing written, not even a user row or an audit event


@pytest.mark.parametrize("second", ["4791111111", "+47 911 11 111", "0047 91111111", "91111111"])
def test_second_user_cannot_hold_alices_verified_phone_in_any_format(alice, second):
    before = _counts()
    with pytest.raises(PhoneTaken):
        user_create(actor=TEST_ACTOR, phone=second, verified=True)
    assert _counts() == before


def test_unverified_copy_of_a_verified_email_is_allowed_but_cannot_be_verified(alice, bob):
    email = email_add(user=bob, address="ALICE@example.com", actor=TEST_ACTOR)
    assert email.verified is False
    with pytest.raises(EmailTaken):
        contact_verify(contact=email, actor=TEST_ACTOR)
    email.refresh_from_db()
    assert email.verified is False


def test_adding_a_phone_verified_elsewhere_is_refused(alice, bob):
    with pytest.raises(PhoneTaken):
        phone_add(user=bob, number="+4791111111", verified=True, actor=TEST_ACTOR)
    assert not bob.phones.filter(number="4791111111").exists()


def test_the_database_itself_refuses_a_second_verified_email(alice, bob):
    """The constraint holds even for code that bypasses the services."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Email.objects.create(
            user=bob, address="Alice@Example.com", verified=True, verified_at=timezone.now()
        )


def test_the_database_itself_refuses_two_preferred_phones(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Phone.objects.create(user=alice, number="4798765432", preferred=True)


@pytest.mark.django_db(transaction=True)
def test_racing_creations_of_the_same_verified_email_leave_exactly_one_owner():
    """Two transactions pass the pre-check together; the constraint decides, as EmailTaken."""
    barrier, outcomes = threading.Barrier(2), []

    def create(n: int) -> None:
        try:
            barrier.wait()
            user_create(
                actor=TEST_ACTOR, email="race@example.com", phone=f"479555000{n}", verified=True
            )
            outcomes.append("created")
        except EmailTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "taken"]
    assert Email.objects.filter(address__iexact="race@example.com", verified=True).count() == 1
    assert User.objects.count() == 1  # the loser's user row was rolled back with it


def test_invalid_phone_writes_nothing(db):
    before = _counts()
    with pytest.raises(PhoneInvalid):
        user_create(actor=TEST_ACTOR, email="ok@example.com", phone="12", verified=True)
    assert _counts() == before


def test_user_ids_are_19_random_digits_not_sequential(db):
    ids = [UserFactory().pk for _ in range(30)]
    assert all(len(i) == 19 and i.isdigit() for i in ids)
    assert len(set(ids)) == len(ids)
    numbers = [int(i) for i in ids]
    # Sequential or clock-based ids would be sorted with tiny gaps; random ones are neither.
    assert numbers != sorted(numbers)
    assert min(abs(a - b) for a, b in itertools.pairwise(numbers)) > 10**6


def test_a_deleted_users_id_is_never_given_again(db, monkeypatch):
    gone = UserFactory()
    gone_id = gone.pk
    user_delete(user=gone, actor=TEST_ACTOR)
    assert RetiredUserId.objects.filter(pk=gone_id).exists()
    candidates = iter([gone_id, "1234567890123456789"])
    monkeypatch.setattr("accounts.services.users.new_user_id", lambda: next(candidates))
    newcomer = user_create(actor=TEST_ACTOR, email="new@example.com")
    assert newcomer.pk == "1234567890123456789"


def test_first_contacts_are_preferred_and_making_another_preferred_switches(alice):
    first = alice.emails.get()
    assert first.preferred
    second = email_add(user=alice, address="alice@work.example", verified=True, actor=TEST_ACTOR)
    assert not second.preferred
    generation = User.objects.get(pk=alice.pk).generation
    contact_make_preferred(contact=second, actor=TEST_ACTOR)
    assert list(alice.emails.filter(preferred=True)) == [second]
    assert User.objects.get(pk=alice.pk).generation == generation + 1


def test_deleting_the_preferred_email_promotes_the_next_verified_one(alice):
    email_add(user=alice, address="later@example.com", actor=TEST_ACTOR, priority=0)
    kept = email_add(
        user=alice, address="kept@example.com", verified=True, actor=TEST_ACTOR, priority=5
    )
    contact_delete(contact=alice.emails.get(preferred=True), actor=TEST_ACTOR)
    assert alice.emails.get(preferred=True) == kept  # verified beats a lower priority


def test_services_write_an_audit_event_in_the_same_transaction(db):
    user = user_create(actor=TEST_ACTOR, email="audited@example.com", phone="4797777777")
    actions = set(AuditEvent.objects.filter(subject=user.pk).values_list("action", flat=True))
    assert actions == {"user.created", "email.added", "phone.added"}
    assert AuditEvent.objects.filter(subject=user.pk).exclude(actor="test").count() == 0
