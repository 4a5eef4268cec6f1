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
from accounts.services.guarded import (
    Precondition,
    account_link_delete_guarded,
    contact_delete_guarded,
    email_add_exclusive,
    phone_add_exclusive,
    user_delete_guarded,
    user_register,
    user_update_guarded,
)
from accounts.services.links import account_link_add, account_link_delete
from accounts.services.users import user_create, user_delete, user_set_password, user_update
from accounts.services.verification import (
    email_send_verification,
    email_verify_token,
    phone_send_verification,
    phone_verify_pin,
)

__all__ = [
    "Precondition",
    "account_link_add",
    "account_link_delete",
    "account_link_delete_guarded",
    "api_credential_authenticate",
    "api_credential_create",
    "api_credential_revoke",
    "client_create",
    "client_rotate_secret",
    "client_set_enabled",
    "client_update",
    "contact_delete",
    "contact_delete_guarded",
    "contact_make_preferred",
    "contact_set_priority",
    "contact_unverify",
    "contact_verify",
    "email_add",
    "email_add_exclusive",
    "email_send_verification",
    "email_verify_token",
    "phone_add",
    "phone_add_exclusive",
    "phone_send_verification",
    "phone_verify_pin",
    "user_create",
    "user_delete",
    "user_delete_guarded",
    "user_register",
    "user_set_password",
    "user_update",
    "user_update_guarded",
]
