"""Domain errors of the identity domain."""

from connect_id.errors import Conflict, DomainError, NotFound


class EmailInvalid(DomainError):
    code = "email_invalid"
    message = "Enter a valid email address."


class PhoneInvalid(DomainError):
    code = "phone_invalid"
    message = "Enter a valid phone number with its country code, e.g. 4791234567."


class PasswordInvalid(DomainError):
    code = "password_invalid"
    message = "The password is too weak."


class IdentifierRequired(DomainError):
    code = "identifier_required"
    message = "A user needs an email address or a phone number."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "This email address is already verified on another account."


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = "This phone number is already verified on another account."


class EmailDuplicate(Conflict):
    code = "email_duplicate"
    message = "This user already has this email address."


class PhoneDuplicate(Conflict):
    code = "phone_duplicate"
    message = "This user already has this phone number."


class AccountLinkTaken(Conflict):
    code = "account_link_taken"
    message = "This external account is already linked to a user."


class AccountLinkInvalid(DomainError):
    code = "account_link_invalid"
    message = "An account link needs a type and a userid."


class NotVerified(DomainError):
    code = "not_verified"
    message = "Only a verified address or number can be made preferred."


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No such user."


class UnknownScope(DomainError):
    code = "unknown_scope"
    message = "Unknown scope."


class ScopeNotForPublicClients(DomainError):
    code = "scope_not_for_public_clients"
    message = "This scope is available to confidential clients only."


class GrantNotForPublicClients(DomainError):
    code = "grant_not_for_public_clients"
    message = "Public clients cannot use the client_credentials grant."


class RedirectUriInvalid(DomainError):
    code = "redirect_uri_invalid"
    message = "Invalid redirect URI."


class RedirectUriRequired(DomainError):
    code = "redirect_uri_required"
    message = "The authorization_code grant needs at least one redirect URI."


class ClientInvalid(DomainError):
    code = "client_invalid"
    message = "Invalid client registration."


class ClientNameTaken(Conflict):
    code = "client_name_taken"
    message = "Another client already uses this user-facing name."


class ClientIdTaken(Conflict):
    code = "client_id_taken"
    message = "Another client already uses this client_id."


class UnknownOperation(DomainError):
    code = "unknown_operation"
    message = "Unknown API operation."


class OperationRequired(DomainError):
    code = "operation_required"
    message = "An API credential needs at least one operation."
