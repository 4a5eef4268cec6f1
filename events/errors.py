"""Domain errors of the events domain (Event Queue, webhooks)."""

from django.utils.translation import gettext_lazy as _

from connect_id.errors import Conflict, DomainError, NotFound


class OwnerIdInvalid(DomainError):
    code = "owner_id_invalid"
    message = _(
        "An owner (grantor or service provider) id has 1 to 100 letters, digits and the "
        "characters . _ : - and starts with a letter or digit."
    )


class QueueNotFound(NotFound):
    # Also what another owner's queue looks like: a queue id is not a secret worth confirming.
    code = "queue_not_found"
    message = _("There is no such event queue.")


class ReceiptRequired(DomainError):
    code = "receipt_required"
    message = _("Pass the receiptId of the message to acknowledge.")


class ReceiptUnknown(NotFound):
    code = "receipt_unknown"
    message = _("No message of this queue has this receipt; it may be acknowledged already.")


class ReceiptStale(Conflict):
    code = "receipt_stale"
    message = _(
        "The message was handed out again after this receipt was issued; acknowledge it with "
        "the latest receiptId."
    )


class WebhookUrlInvalid(DomainError):
    code = "webhook_url_invalid"
    message = _("A webhook URL must be an absolute https:// URL.")


class ContactEmailInvalid(DomainError):
    code = "contact_email_invalid"
    message = _("Enter a valid contact email address.")
