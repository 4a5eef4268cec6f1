"""Services for business-unit account links (CONNECT "accounts")."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from accounts.audit import Actor, audit_record
from accounts.errors import AccountLinkInvalid, AccountLinkTaken
from accounts.models import AccountLink, User
from accounts.services._constraints import constraint_errors
from accounts.validators import normalize_phone
from events.services import event_publish

# CONNECT's name for the event a business unit gets when one of its customers is linked (spec
# §1.4; its fully qualified name is not on record).
USER_ANNOUNCE = "UserAnnounce"


@transaction.atomic
def account_link_add(
    *, user: User, type: str, external_user_id: str, actor: Actor, msisdn: str = ""
) -> AccountLink:
    """Link a third party's customer to *user*. Raise AccountLinkInvalid, PhoneInvalid, or
    AccountLinkTaken when that customer is already linked. Publishes a UserAnnounce event to the
    third party (the link's `type`) in the same transaction."""
    type, external_user_id = (type or "").strip(), (external_user_id or "").strip()
    if not type or not external_user_id:
        raise AccountLinkInvalid(field="type" if not type else "userid")
    number = normalize_phone(msisdn, default_region=settings.PHONE_DEFAULT_REGION) if msisdn else ""
    link = AccountLink(user=user, type=type, external_user_id=external_user_id, msisdn=number)
    with constraint_errors({"account_link_once": AccountLinkTaken}):
        link.save(force_insert=True)
    User.objects.filter(pk=user.pk).update(generation=F("generation") + 1)
    audit_record(actor=actor, action="account_link.added", subject=user, target=link)
    _announce_user(link=link)
    return link


def _announce_user(*, link: AccountLink) -> None:
    # Spec §1.4/§1.2 accounts: linking subscribes the business unit (the link's `type`) to the
    # user's events, starting with a UserAnnounce carrying its own customer id and the MSISDN.
    msisdn = link.msisdn or (
        link.user.phones.filter(verified=True, preferred=True)
        .values_list("number", flat=True)
        .first()
    )
    body = {"type": link.type, "userid": link.external_user_id, "accountId": link.pk}
    if msisdn:
        body["msisdn"] = msisdn
    event_publish(name=USER_ANNOUNCE, user_id=link.user_id, owners=[link.type], body=body)


@transaction.atomic
def account_link_delete(*, link: AccountLink, actor: Actor) -> None:
    """Disconnect a third party's customer from the user."""
    target, user_id = f"accountlink:{link.pk}", link.user_id
    link.delete()
    User.objects.filter(pk=user_id).update(generation=F("generation") + 1)
    audit_record(actor=actor, action="account_link.deleted", subject=user_id, target=target)
