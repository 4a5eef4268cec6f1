"""Mail and SMS to people, written from translatable templates in the person's language.

Services schedule these with transaction.on_commit, so nothing is sent for a change that rolled
back. A failure to hand a message over is logged (never its text: it may hold a PIN or a link)
and does not undo the change; the person can ask again.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.sms import send_sms
from connect_id import metrics

logger = logging.getLogger(__name__)


def _language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def send_templated_email(*, to: str, template: str, context: dict, language: str | None) -> None:
    """Mail `messages/<template>.txt`: its first line is the subject, the rest the body."""
    with translation.override(_language(language)):
        text = render_to_string(f"messages/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    try:
        send_mail(
            subject=subject.strip(),
            message=body.strip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError) as exc:
        metrics.MESSAGES.labels("mail", "failed").inc()
        logger.error("Mail %r to a user was not sent: %s", template, type(exc).__name__)
    else:
        metrics.MESSAGES.labels("mail", "sent").inc()


def send_templated_sms(*, to: str, template: str, context: dict, language: str | None) -> None:
    """Text `messages/<template>.sms.txt` to *to* (E.164 digits)."""
    with translation.override(_language(language)):
        body = render_to_string(f"messages/{template}.sms.txt", context).strip()
    send_sms(to=to, body=body)


def send_email_verification(*, address: str, link: str, language: str | None = None) -> None:
    """Mail the link that verifies *address* (a real SMTP conversation in production)."""
    send_templated_email(
        to=address, template="email_verification", context={"link": link}, language=language
    )


def send_phone_pin(*, number: str, pin: str, language: str | None = None) -> None:
    """Text the verification PIN to *number*."""
    send_templated_sms(to=number, template="phone_pin", context={"pin": pin}, language=language)
