"""Mail and SMS to people, written from translatable templates in the person's language.

Each message is rendered now, in the person's language, and handed to the job queue
(accounts.tasks.deliver_mail / deliver_sms) inside the caller's transaction: nothing is sent for
a change that rolled back, and a message is not lost when a process dies or the SMTP server or
SMS gateway is down for a while (retried with backoff). The text, which may hold a PIN or a link,
is sealed in the job's arguments (connect_id.jobs.seal) and never logged.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from connect_id import metrics
from connect_id.jobs import seal

logger = logging.getLogger(__name__)


def _language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def render_email(*, template: str, context: dict, language: str | None) -> tuple[str, str]:
    """Subject and body of `messages/<template>.txt` (its first line is the subject)."""
    with translation.override(_language(language)):
        text = render_to_string(f"messages/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def deliver_email(*, to: str, subject: str, body: str, template: str = "") -> None:
    """Hand one mail to the mail backend now; raise (SMTPException, OSError) when it fails."""
    try:
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[to],
        )
    except (smtplib.SMTPException, OSError) as exc:
        metrics.MESSAGES.labels("mail", "failed").inc()
        logger.error("Mail %r to a user was not sent: %s", template, type(exc).__name__)
        raise
    metrics.MESSAGES.labels("mail", "sent").inc()


def send_templated_email(*, to: str, template: str, context: dict, language: str | None) -> None:
    """Queue the mail `messages/<template>.txt` to *to* (sent once the transaction commits)."""
    from accounts.tasks import deliver_mail  # the job module imports this one

    subject, body = render_email(template=template, context=context, language=language)
    deliver_mail.defer(sealed=seal({"to": to, "subject": subject, "body": body}), template=template)


def send_templated_sms(*, to: str, template: str, context: dict, language: str | None) -> None:
    """Queue the text `messages/<template>.sms.txt` to *to* (E.164 digits)."""
    from accounts.tasks import deliver_sms

    with translation.override(_language(language)):
        body = render_to_string(f"messages/{template}.sms.txt", context).strip()
    deliver_sms.defer(sealed=seal({"to": to, "body": body}), template=template)


def send_email_verification(*, address: str, link: str, language: str | None = None) -> None:
    """Mail the link that verifies *address* (a real SMTP conversation in production)."""
    send_templated_email(
        to=address, template="email_verification", context={"link": link}, language=language
    )


def send_phone_pin(*, number: str, pin: str, language: str | None = None) -> None:
    """Text the verification PIN to *number*."""
    send_templated_sms(to=number, template="phone_pin", context={"pin": pin}, language=language)
