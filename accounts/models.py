"""Models of the identity domain; invariants live here as database constraints."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from accounts.ids import new_api_username, new_resource_id, new_session_id, new_user_id
from accounts.validators import validate_grantor_id


def code_digest(code: str) -> str:
    """What the grant table stores for an authorization code."""
    return "sha256:" + hashlib.sha256(code.encode()).hexdigest()


class GrantQuerySet(models.QuerySet["Grant"]):
    """Looks grants up by code through its digest, so DOT's `Grant.objects.get(code=...)` works
    on a table that never holds a usable code (RFC 9700 §4.14: codes are credentials)."""

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Any:
        if "code" in kwargs:
            kwargs = {**kwargs, "code": code_digest(kwargs["code"])}
        # A private QuerySet method that django-stubs does not declare.
        return super()._filter_or_exclude(negate, args, kwargs)  # type: ignore[misc]


class UserManager(BaseUserManager["User"]):
    """Users are created through `accounts.services.user_create`; this manager only reads."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(pk=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A CONNECT user. No username column: a user is found by a verified email or phone."""

    id = models.CharField(primary_key=True, max_length=19, default=new_user_id, editable=False)
    realname = models.CharField("name", max_length=200, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(
        "enabled", default=True, help_text="Disabled accounts cannot sign in or use tokens."
    )
    is_staff = models.BooleanField("staff", default=False, help_text="May sign in to the admin.")
    # The language of pages and messages, and the `locale` claim (a code of settings.LANGUAGES).
    language = models.CharField(max_length=16, blank=True)
    # The terms of use the user accepted at sign-up: their version and when.
    terms_version = models.CharField(max_length=32, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveBigIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "id"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.realname or self.id

    @property
    def active(self) -> bool:
        """CONNECT's `active`: the user has created a password (spec §1.2)."""
        return self.has_usable_password()


class RetiredUserId(models.Model):
    """Ids of deleted users, kept so that an id is never given to anyone else."""

    id = models.CharField(primary_key=True, max_length=19)
    retired_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.id


class Email(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_resource_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(max_length=254)
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    priority = models.IntegerField(default=1)
    preferred = models.BooleanField(default=False)
    generation = models.PositiveBigIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["priority", "created_at"]
        constraints = [
            # An email address is on at most one account (spec §1.2, case-insensitive).
            models.UniqueConstraint(
                Lower("address"), condition=Q(verified=True), name="email_verified_once"
            ),
            models.UniqueConstraint(Lower("address"), "user", name="email_once_per_user"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(preferred=True), name="email_one_preferred"
            ),
            models.CheckConstraint(
                condition=Q(verified=False) | Q(verified_at__isnull=False),
                name="email_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.address


class Phone(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_resource_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phones")
    # E.164 digits without the leading "+" (spec §1.2), e.g. 4791231231.
    number = models.CharField(max_length=15)
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    priority = models.IntegerField(default=0)
    type = models.CharField(max_length=32, blank=True, help_text="Informational, e.g. mobile.")
    preferred = models.BooleanField(default=False)
    generation = models.PositiveBigIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=Q(verified=True), name="phone_verified_once"
            ),
            models.UniqueConstraint(fields=["number", "user"], name="phone_once_per_user"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(preferred=True), name="phone_one_preferred"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[1-9][0-9]{6,14}$"), name="phone_e164_digits"
            ),
            models.CheckConstraint(
                condition=Q(verified=False) | Q(verified_at__isnull=False),
                name="phone_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AccountLink(models.Model):
    """A business unit's hard link of its own customer to a CONNECT user (CONNECT "accounts")."""

    id = models.CharField(primary_key=True, max_length=16, default=new_resource_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links")
    type = models.CharField(max_length=64, help_text="The third party's identifier (its BuID).")
    external_user_id = models.CharField(max_length=128, help_text="The third party's customer id.")
    msisdn = models.CharField(
        max_length=15, blank=True, help_text="Phone the third party vouches for."
    )
    generation = models.PositiveBigIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["type", "external_user_id"], name="account_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.external_user_id}"


class Client(AbstractApplication):
    """An OAuth client with CONNECT's registration details (spec §7.1)."""

    class Platform(models.TextChoices):
        WEB = "web", "Web"
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        DESKTOP = "desktop", "Desktop"
        SERVER = "server", "Server"

    class ApplicationType(models.TextChoices):
        WEB = "web", "Web"
        NATIVE = "native", "Native"

    class GrantType(models.TextChoices):
        # Wire names of RFC 6749 grant types.
        AUTHORIZATION_CODE = "authorization_code", "Authorization code"
        CLIENT_CREDENTIALS = "client_credentials", "Client credentials"
        REFRESH_TOKEN = "refresh_token", "Refresh token"

    # DOT's single grant type column is replaced by a list of grants.
    authorization_grant_type = None  # type: ignore[assignment]
    # The user-facing name: unique, shown on the consent page and in My CONNECT account.
    name = models.CharField("user-facing name", max_length=255)
    skip_authorization = models.BooleanField(
        "first-party", default=False, help_text="First-party clients are not asked for consent."
    )
    algorithm = models.CharField(
        max_length=5, choices=AbstractApplication.ALGORITHM_TYPES, default="RS256", blank=True
    )
    description = models.TextField(blank=True)
    company = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField("technical contact", blank=True)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.WEB)
    application_type = models.CharField(
        max_length=8, choices=ApplicationType.choices, default=ApplicationType.WEB
    )
    logo_uri = models.URLField("logo URL", blank=True)
    grant_types = ArrayField(
        models.CharField(max_length=32, choices=GrantType.choices), default=list, blank=True
    )
    allowed_scopes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    backchannel_logout_uri = models.URLField("back-channel logout URI", blank=True)
    sso_enabled = models.BooleanField("SSO enabled", default=True)
    enabled = models.BooleanField(default=True, help_text="Disabled clients get no tokens.")

    # Per-client login options (spec §7.1 "Per-client UI configuration").
    class LoginIdentifiers(models.TextChoices):
        PHONE_EMAIL = "phone_email", "Phone or email, phone first"
        EMAIL_PHONE = "email_phone", "Email or phone, email first"
        PHONE = "phone", "Phone only"
        EMAIL = "email", "Email only"

    class StaySignedIn(models.TextChoices):
        HIDDEN = "hidden", "Not offered (stay signed in)"
        TICKED = "ticked", "Offered, ticked by default"
        UNTICKED = "unticked", "Offered, unticked by default"

    login_identifiers = models.CharField(
        max_length=16, choices=LoginIdentifiers.choices, default=LoginIdentifiers.PHONE_EMAIL
    )
    require_password = models.BooleanField(
        default=False, help_text="New users must choose a password even at level of assurance 1."
    )
    stay_signed_in = models.CharField(
        "stay signed in option",
        max_length=16,
        choices=StaySignedIn.choices,
        default=StaySignedIn.HIDDEN,
        help_text="Web clients only (spec §2.5).",
    )
    terms_uri = models.URLField("terms of service URL", blank=True)
    privacy_uri = models.URLField("privacy policy URL", blank=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        constraints = [
            # The user-facing name is unique (spec §7.1): users must tell clients apart.
            models.UniqueConstraint(Lower("name"), name="client_name_unique"),
        ]

    @property
    def first_party(self) -> bool:
        return self.skip_authorization

    # DOT asks "does this client allow one of these DOT grant names?"; answer from our list.
    _DOT_GRANTS = {
        AbstractApplication.GRANT_AUTHORIZATION_CODE: GrantType.AUTHORIZATION_CODE,
        AbstractApplication.GRANT_CLIENT_CREDENTIALS: GrantType.CLIENT_CREDENTIALS,
    }

    def allows_grant_type(self, *grant_types: str) -> bool:
        return any(self._DOT_GRANTS.get(g) in self.grant_types for g in grant_types)

    def get_allowed_schemes(self) -> list[str]:
        # The schemes of the URIs registered (and validated by client_create): https, http on a
        # loopback host (RFC 8252 §7.3) and a native app's private-use scheme (RFC 8252 §7.1).
        uris = f"{self.redirect_uris} {self.post_logout_redirect_uris}".split()
        return sorted({"https", *(uri.split(":", 1)[0].lower() for uri in uris if ":" in uri)})

    def is_usable(self, request: object) -> bool:
        return self.enabled

    def clean(self) -> None:
        # DOT's clean() reads the single grant column we replaced; services validate instead.
        pass


class SignInSession(models.Model):
    """A browser's SSO session at CONNECT ID: its id is the `sid` of ID and logout tokens."""

    id = models.CharField(primary_key=True, max_length=43, default=new_session_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    auth_time = models.DateTimeField(default=timezone.now)
    # Level of assurance reached (spec §2.3): "1" phone possession, "2" password.
    acr = models.CharField(max_length=8, default="2")
    amr = ArrayField(models.CharField(max_length=16), default=list)
    # CONNECT's td_au: the phone number or email the person typed to sign in (spec §2.2).
    username = models.CharField(max_length=254, blank=True)
    # CONNECT's td_sls: the person did not tick "stay signed in" (a browser-session cookie).
    short_lived = models.BooleanField(default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class Consent(models.Model):
    """What a user has allowed a client to see or do; remembered until revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    scopes = ArrayField(models.CharField(max_length=64), default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="consent_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.client_id}: {' '.join(self.scopes)}"

    def covers(self, scopes: list[str]) -> bool:
        return set(scopes) <= set(self.scopes)


class Grant(AbstractGrant):
    """An authorization code. `code` holds its SHA-256 (see GrantQuerySet), never the code."""

    used_at = models.DateTimeField(null=True, blank=True)
    session = models.ForeignKey(
        SignInSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The code came from an existing SSO session, not a sign-in just now: amr gains "SSO".
    sso = models.BooleanField(default=False)

    objects = GrantQuerySet.as_manager()

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:  # the raw code, from oauthlib; later saves keep the digest
            self.code = code_digest(self.code)
        super().save(*args, **kwargs)


class AccessToken(AbstractAccessToken):
    source_grant = models.ForeignKey(
        Grant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session = models.ForeignKey(
        SignInSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claims requested for UserInfo with the `claims` parameter (OIDC Core §5.5), space
    # separated: released even where the scopes alone would not.
    claims = models.TextField(blank=True, default="")

    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    session = models.ForeignKey(
        SignInSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"


class SigningKey(models.Model):
    """An RSA key that signs ID and logout tokens. The private part is encrypted at rest."""

    kid = models.CharField(primary_key=True, max_length=64)
    private_key_encrypted = models.TextField(editable=False)
    public_jwk = models.JSONField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # A new key is published before it signs, so relying parties' cached JWKS already hold it.
    activates_at = models.DateTimeField(default=timezone.now)
    # Retired keys sign nothing but stay published until the tokens they signed have expired.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.kid


class ApiCredential(models.Model):
    """Dedicated HTTP Basic credentials for the /id/ API; never an OAuth client secret."""

    class Operation(models.TextChoices):
        ALL = "*", "All operations"
        USERS_READ = "users:read"
        USERS_WRITE = "users:write"
        MAILS_READ = "mails:read"
        MAILS_WRITE = "mails:write"
        PHONES_READ = "phones:read"
        PHONES_WRITE = "phones:write"
        ACCOUNTS_READ = "accounts:read"
        ACCOUNTS_WRITE = "accounts:write"
        TOKENS_INTROSPECT = "tokens:introspect"
        RIGHTS_READ = "rights:read"
        RIGHTS_WRITE = "rights:write"
        SUBS_READ = "subs:read"
        SUBS_WRITE = "subs:write"
        EVENTS_READ = "events:read"
        # CONNECT Payment (spec §5.1): the credential's grantor id is the merchant.
        TRANSACTIONS_READ = "transactions:read"
        TRANSACTIONS_WRITE = "transactions:write"
        AGREEMENTS_READ = "agreements:read"
        AGREEMENTS_WRITE = "agreements:write"

    username = models.CharField(
        max_length=64, unique=True, default=new_api_username, editable=False
    )
    name = models.CharField(max_length=200)
    owner = models.CharField(
        max_length=200, blank=True, help_text="Who holds it: company, contact."
    )
    # Rights, subscriptions and event queues created with these credentials carry this grantor id
    # (spec §4: a grantor sees only what it created); blank for credentials that grant nothing.
    grantor_id = models.CharField(
        max_length=100,
        blank=True,
        default="",
        validators=[validate_grantor_id],
        help_text="The grantor these credentials act as (rights, subscriptions, event queues).",
    )
    # A SHA-256 digest of a 256-bit random secret (see accounts.hashers); the secret is shown once.
    secret_hash = models.CharField(max_length=128, editable=False)
    operations = ArrayField(
        models.CharField(max_length=32, choices=Operation.choices), default=list
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API credential"

    def __str__(self) -> str:
        return f"{self.name} ({self.username})"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def allows(self, operation: str) -> bool:
        return not self.revoked and ("*" in self.operations or operation in self.operations)


class AuditEvent(models.Model):
    """One state change: who did what to whom, from where. Written by services, never edited."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=100, help_text="user:<id>, api:<username>, cli, system")
    # Plain ids, not foreign keys: the trail outlives the user it is about.
    subject = models.CharField(max_length=19, blank=True, db_index=True, help_text="User id.")
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"


class PhoneVerification(models.Model):
    """A pending SMS PIN for a phone: only an HMAC of it is kept, with an expiry and a count of
    wrong attempts. One per phone; sending a new PIN replaces it."""

    phone = models.OneToOneField(
        Phone, on_delete=models.CASCADE, primary_key=True, related_name="pending_verification"
    )
    pin_hash = models.CharField(max_length=128, editable=False)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"PIN for phone {self.phone_id}"


class OneTimePin(models.Model):
    """A PIN texted to a number to sign in, sign up or reset a password. Only an HMAC of it is
    kept; it expires, allows PHONE_VERIFICATION_MAX_ATTEMPTS wrong tries, and is used once."""

    class Purpose(models.TextChoices):
        SIGNIN = "signin", "Sign in or sign up"
        RESET = "reset", "Password reset"

    id = models.CharField(primary_key=True, max_length=43, default=new_session_id, editable=False)
    number = models.CharField(max_length=15, db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    pin_hash = models.CharField(max_length=128, editable=False)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "one-time PIN"

    def __str__(self) -> str:
        return f"{self.purpose} PIN for {self.number[:4]}…"


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, kept so that a retry of the
    same request gets it again instead of acting twice (accounts.idempotency)."""

    # Whose key it is: the audit actor (api:<username>, or user:<id> with its client), so two
    # callers never share a key space.
    owner = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused (422).
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
