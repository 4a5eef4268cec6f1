"""The write path of the identity domain: every state change goes through one of these."""

from accounts.services.clients import (
    client_create,
    client_rotate_secret,
    client_set_enabled,
    client_update,
)
from accounts.services.contacts import (
    contact_delete,
    contact_make_preferred,
    contact_set_priority,
    contact_unverify,
    contact_verify,
    email_add,
    phone_add,
)
from accounts.services.credentials import (
    api_credential_authenticate,
    api_credential_create,
    api_credential_revoke,
)
from accounts.services.links import account_link_add, account_link_delete
from accounts.services.users import user_create, user_delete, user_set_password, user_update

__all__ = [
    "account_link_add",
    "account_link_delete",
    "api_credential_authenticate",
    "api_credential_create",
    "api_credential_revoke",
    "client_create",
    "client_rotate_secret",
    "client_set_enabled",
    "client_update",
    "contact_delete",
    "contact_make_preferred",
    "contact_set_priority",
    "contact_unverify",
    "contact_verify",
    "email_add",
    "phone_add",
    "user_create",
    "user_delete",
    "user_set_password",
    "user_update",
]
