"""Mail and SMS to users; services schedule these with transaction.on_commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from accounts.sms import send_sms


def send_email_verification(*, address: str, link: str) -> None:
    """Mail the link that verifies *address* (a real SMTP conversation in production)."""
    send_mail(
        subject="Verify your email address for CONNECT ID",
        message=(
            "Someone (hopefully you) added this address to a CONNECT ID account.\n\n"
            f"To verify it, open this link:\n{link}\n\n"
            "If this was not you, ignore this message; the address stays unverified.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )


def send_phone_pin(*, number: str, pin: str) -> None:
    """Text the verification PIN to *number*."""
    send_sms(to=number, body=f"Your CONNECT ID verification code is {pin}")
