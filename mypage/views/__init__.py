"""The screens of My CONNECT account (spec §6): function views that read through selectors and
change things only through the services of the domains. Every object comes from the URL and is
looked up among the signed-in person's own, so anyone else's is a 404."""

from mypage.views.contacts import (
    email_prefer,
    email_remove,
    email_resend,
    manageemail,
    managephone,
    phone_prefer,
    phone_remove,
    phone_resend,
    phone_verify,
    undo_email,
)
from mypage.views.overview import about, index, overview, signout
from mypage.views.privacy import privacy, privacy_delete, privacy_export, security, wasnt_me
from mypage.views.profile import changepassword, changeprofile
from mypage.views.purchases import payment_method_remove_view, purchasehistory
from mypage.views.services import (
    manageclientauthorizations,
    service_remove,
    session_end,
    sessions,
    sessions_end_others_view,
)
from mypage.views.subscriptions import agreement_stop_view, subscription_stop, subscriptions

__all__ = [
    "about",
    "agreement_stop_view",
    "changepassword",
    "changeprofile",
    "email_prefer",
    "email_remove",
    "email_resend",
    "index",
    "manageclientauthorizations",
    "manageemail",
    "managephone",
    "overview",
    "payment_method_remove_view",
    "phone_prefer",
    "phone_remove",
    "phone_resend",
    "phone_verify",
    "privacy",
    "privacy_delete",
    "privacy_export",
    "purchasehistory",
    "security",
    "service_remove",
    "session_end",
    "sessions",
    "sessions_end_others_view",
    "signout",
    "subscription_stop",
    "subscriptions",
    "undo_email",
    "wasnt_me",
]
