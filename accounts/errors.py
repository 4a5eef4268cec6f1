"""Domain errors of the identity domain."""

from django.utils.translation import gettext_lazy as _

from connect_id.errors import Conflict, DomainError, NotFound


class EmailInvalid(DomainError):
    code = "email_invalid"
    message = _("Enter a valid email address.")


class PhoneInvalid(DomainError):
    code = "phone_invalid"
    message = _("Enter a valid phone number with its country code, e.g. 4791234567.")


class PasswordInvalid(DomainError):
    code = "password_invalid"
    message = _("The password is too weak.")


class IdentifierRequired(DomainError):
    code = "identifier_required"
    message = _("A user needs an email address or a phone number.")


class EmailTaken(Conflict):
    code = "email_taken"
    message = _("This email address is already verified on another account.")


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = _("This phone number is already verified on another account.")


class EmailDuplicate(Conflict):
    code = "email_duplicate"
    message = _("This user already has this email address.")


class PhoneDuplicate(Conflict):
    code = "phone_duplicate"
    message = _("This user already has this phone number.")


class AccountLinkTaken(Conflict):
    code = "account_link_taken"
    message = _("This external account is already linked to a user.")


class AccountLinkInvalid(DomainError):
    code = "account_link_invalid"
    message = _("An account link needs a type and a userid.")


class NotVerified(DomainError):
    code = "not_verified"
    message = _("Only a verified address or number can be made preferred.")


class UserNotFound(NotFound):
    code = "user_not_found"
    message = _("No such user.")


class UnknownScope(DomainError):
    code = "unknown_scope"
    message = _("Unknown scope.")


class ScopeNotForPublicClients(DomainError):
    code = "scope_not_for_public_clients"
    message = _("This scope is available to confidential clients only.")


class GrantNotForPublicClients(DomainError):
    code = "grant_not_for_public_clients"
    message = _("Public clients cannot use the client_credentials grant.")


class RedirectUriInvalid(DomainError):
    code = "redirect_uri_invalid"
    message = _("Invalid redirect URI.")


class RedirectUriRequired(DomainError):
    code = "redirect_uri_required"
    message = _("The authorization_code grant needs at least one redirect URI.")


class ClientInvalid(DomainError):
    code = "client_invalid"
    message = _("Invalid client registration.")


class ClientNameTaken(Conflict):
    code = "client_name_taken"
    message = _("Another client already uses this user-facing name.")


class ClientIdTaken(Conflict):
    code = "client_id_taken"
    message = _("Another client already uses this client_id.")


class UnknownOperation(DomainError):
    code = "unknown_operation"
    message = _("Unknown API operation.")


class GrantorIdInvalid(DomainError):
    code = "grantor_id_invalid"
    message = _(
        "A grantor id has 1 to 100 letters, digits and the characters . _ : - and starts with a "
        "letter or digit."
    )


class OperationRequired(DomainError):
    code = "operation_required"
    message = _("An API credential needs at least one operation.")


# --- Errors of the /id/ API's flows: lookups, optimistic concurrency, verification -------------


class MailNotFound(NotFound):
    code = "mail_not_found"
    message = _("No such email address on this user.")


class PhoneNotFound(NotFound):
    code = "phone_not_found"
    message = _("No such phone number on this user.")


class AccountLinkNotFound(NotFound):
    code = "account_not_found"
    message = _("No such account on this user.")


class PreconditionFailed(DomainError):
    """RFC 9110 §13.1.1: If-Match named no current entity tag."""

    code = "precondition_failed"
    status = 412
    message = _("The resource has changed: its generation no longer matches If-Match.")


class GenerationMismatch(Conflict):
    code = "generation_mismatch"
    message = _("The resource has changed: its generation no longer matches the one sent.")


class AlreadyVerified(Conflict):
    code = "already_verified"
    message = _("This address or number is already verified.")


class VerificationLinkInvalid(DomainError):
    code = "verification_link_invalid"
    message = _("This verification link is invalid or has expired.")


class NoPendingVerification(Conflict):
    code = "no_pending_verification"
    message = _("No verification code was sent to this number; request one first.")


class PinInvalid(DomainError):
    code = "pin_invalid"
    message = _("The verification code is wrong.")


class PinExpired(DomainError):
    code = "pin_expired"
    message = _("The verification code has expired; request a new one.")


class PinAttemptsExceeded(DomainError):
    code = "pin_attempts_exceeded"
    message = _("Too many wrong verification codes; request a new one.")


class RealnameInvalid(DomainError):
    code = "realname_invalid"
    message = _("A name must not contain control or text-direction override characters.")


class BirthdateInvalid(DomainError):
    code = "birthdate_invalid"
    message = _("A birth date must lie between 1900-01-01 and today.")


class TooManyVerificationSends(DomainError):
    code = "too_many_verification_sends"
    status = 429
    message = _("Too many verification messages to this number; try again later.")


# --- Sign-in, sign-up and password reset --------------------------------------------------------


class IdentifierInvalid(DomainError):
    code = "identifier_invalid"
    message = _("Enter a mobile number (with country code) or an email address.")


class SignInFailed(DomainError):
    code = "signin_failed"
    status = 401
    message = _("Wrong phone number, email or password.")


class SignUpLinkInvalid(DomainError):
    code = "signup_link_invalid"
    message = _("This sign-up link is invalid, used or expired. Start again from the sign-in page.")


class ResetLinkInvalid(DomainError):
    code = "reset_link_invalid"
    message = _("This password reset link is invalid, used or expired. Ask for a new one.")


class PinResendTooSoon(DomainError):
    code = "pin_resend_too_soon"
    status = 429
    message = _("A code was sent a moment ago. Wait a little before asking for another.")


class TermsNotAccepted(DomainError):
    code = "terms_not_accepted"
    message = _("Accept the terms of use to create an account.")
