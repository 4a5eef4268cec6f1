"""Services of Rights Management: the only code that writes rights and subscriptions."""

from rights.services.rights import (
    RightGrant,
    grantor_resolve,
    right_create,
    right_create_many,
    right_reactivate,
    right_suspend,
    right_terminate,
    right_update,
    right_use,
)
from rights.services.subscriptions import (
    rights_spec_parse,
    subscription_cancel,
    subscription_create,
    subscription_reactivate,
    subscription_renew,
    subscription_suspend,
    subscriptions_renew_due,
)

__all__ = [
    "RightGrant",
    "grantor_resolve",
    "right_create",
    "right_create_many",
    "right_reactivate",
    "right_suspend",
    "right_terminate",
    "right_update",
    "right_use",
    "rights_spec_parse",
    "subscription_cancel",
    "subscription_create",
    "subscription_reactivate",
    "subscription_renew",
    "subscription_suspend",
    "subscriptions_renew_due",
]
