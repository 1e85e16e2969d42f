"""Settings for the Rohstoff platform.

One module for every environment: everything that differs between a laptop, CI and production
comes from environment variables (or a ``.env`` file next to ``manage.py``), parsed strictly so
that a malformed value stops start-up with a clear message instead of running half-configured.
See ``.env.example`` for the list and the README for what each one does.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _bool(name: str, default: bool) -> bool:
    """A boolean that accepts only the usual spellings; anything else stops start-up."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def _int(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def _decimal_str(name: str, default: str) -> str:
    from decimal import Decimal, InvalidOperation

    raw = env.str(name, default="").strip() or default
    try:
        Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    return raw


def _redacted(url: str) -> str:
    """``url`` without its password, for error messages."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        if parts.password:
            return url.replace(f":{parts.password}@", ":***@", 1)
    except ValueError:
        pass
    return url


DEBUG = _bool("DEBUG", False)
# HTTPS=true when the platform is served behind TLS (production): turns on the redirect, secure
# cookies and HSTS. Kept apart from DEBUG so that tests and the local demo run without TLS.
HTTPS = _bool("HTTPS", False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(the README's set-up commands write a random one for you)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver leaves static files to WhiteNoise, as in production (docs/operations.md).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "django_filters",
    "django_countries",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "rohstoff.core",
    "rohstoff.dashboards",
    "industry",
    "tradinghouse",
    "contracts",
    "agency",
    "rohstoff.supply",
    "market",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Responses to signed-in users and of the API are never cached (docs/security.md).
    "rohstoff.core.middleware.NoStoreMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the resolved view: every request passes the view's declared policy.
    "rohstoff.core.middleware.AccessPolicyMiddleware",
    # A NUL character in the path, a query parameter or a form field answers 400.
    "rohstoff.core.middleware.RefuseNulMiddleware",
]

ROOT_URLCONF = "rohstoff.urls"
WSGI_APPLICATION = "rohstoff.wsgi.application"

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
                "rohstoff.navigation.navigation",
                "rohstoff.core.capabilities.can",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: a SQLite file, so that the first-run demo needs nothing installed. On PostgreSQL we
# use psycopg 3 with its connection pool (which requires CONN_MAX_AGE=0).
DATABASE_URL = (
    env.str("DATABASE_URL", default="").strip() or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
)
try:
    DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
except Exception as exc:  # django-environ raises several kinds for a malformed URL
    raise ImproperlyConfigured(
        f"DATABASE_URL={_redacted(DATABASE_URL)!r} is not a database URL: {exc}"
    ) from exc
if DATABASES["default"].get("ENGINE") not in (
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
):
    raise ImproperlyConfigured(
        f"DATABASE_URL={_redacted(DATABASE_URL)!r} is not a PostgreSQL or SQLite URL "
        "(e.g. postgres://user:password@host:5432/rohstoff or sqlite:////path/to/db.sqlite3)."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": _int("DATABASE_POOL_MAX_SIZE", 10),
        "timeout": 10,
    }
    # No just-in-time compilation: PostgreSQL compiles every query whose estimated cost passes
    # jit_above_cost, and a dashboard's count over a round estimated at a million lines spent
    # 18 ms compiling to read no row; the whole-round export was no faster with it
    # (docs/operations.md).
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
    # The screening index's included columns are PostgreSQL's; SQLite builds it without them,
    # which is all the demo needs (docs/screening.md). Not worth a warning on every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ------------------------------------------------------------------
# Without REDIS_URL jobs run in-process (eager) and the cache is local memory: enough for the
# demo. With it, a Celery worker runs the jobs and rate limits are shared between processes.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis:// or rediss://.")

if REDIS_URL:
    # A Redis outage must not take pages or the login down: this backend serves from process
    # memory while Redis is unreachable (docs/operations.md). Short timeouts so it notices fast.
    CACHES = {
        "default": {
            "BACKEND": "rohstoff.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, "RETRY_AFTER": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True  # progress and outcome live in core.Job rows
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again ...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ... and tasks are written to be safe to redo
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="rohstoff")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing a task while the broker is down must not hold a request for long: a few quick
# retries, then the outbox keeps the message and re-sends it (rohstoff.core.outbox).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_TIMEZONE = "Europe/Berlin"
CELERY_BEAT_SCHEDULE = {
    "match-due-calls": {
        "task": "market.tasks.match_due_calls",
        "schedule": 5 * 60,
    },
    "audit-integrity-check": {
        "task": "rohstoff.core.tasks.audit_integrity_check",
        "schedule": 60 * 60,
    },
    "fail-stale-jobs": {
        "task": "rohstoff.core.tasks.fail_stale_jobs",
        "schedule": 10,
    },
    "resend-outbox": {
        "task": "rohstoff.core.tasks.resend_outbox",
        "schedule": 30,
    },
    "close-due-rounds": {
        "task": "industry.tasks.close_due_rounds",
        "schedule": 60,
    },
    "round-deadline-reminders": {
        "task": "industry.tasks.send_deadline_reminders",
        "schedule": 15 * 60,
    },
    "purge-stale-demand-uploads": {
        "task": "industry.tasks.purge_stale_uploads",
        "schedule": 24 * 60 * 60,
    },
    "purge-expired-exports": {
        "task": "industry.tasks.purge_expired_exports",
        "schedule": 60 * 60,
    },
    "close-due-allocations": {
        "task": "contracts.tasks.close_due_allocations",
        "schedule": 60 * 60,
    },
    "flag-late-and-short-deliveries": {
        "task": "contracts.tasks.flag_deliveries",
        "schedule": 24 * 60 * 60,
    },
    "flag-overdue-monitoring-reports": {
        "task": "agency.tasks.flag_overdue_reports",
        "schedule": 24 * 60 * 60,
    },
}

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["rohstoff.core.auth.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "rohstoff.core.auth.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # users arrive by invitation to a known address
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Rohstoff] "
# Failed logins: at most 5 per 5 minutes for one account and 20 a minute from one address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="20/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Rohstoff"
MFA_ADAPTER = "rohstoff.core.mfa.MFAAdapter"  # the roles below may not switch their factor off
# Roles that must protect their login with a second factor before they may use any page
# (staff admins always must, whatever this list says: docs/security.md).
MFA_REQUIRED_ROLES = ("agency_approver", "trading_desk")
INVITATION_VALID_DAYS = _int("INVITATION_VALID_DAYS", 14)

# Audit events about these objects are listed to staff without their before/after snapshots:
# a firm's demand line is read only by the firm and the trading desk (docs/security.md).
AUDIT_WITHHELD_OBJECT_TYPES = ("industry.demandline",)

# --- E-mail -----------------------------------------------------------------------------------
try:
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
except Exception as exc:  # unknown scheme, bad port ...
    raise ImproperlyConfigured(
        f"EMAIL_URL={_redacted(env.str('EMAIL_URL'))!r} is not an e-mail URL "
        f"(e.g. smtp+tls://user:password@host:587 or consolemail://): {exc}"
    ) from exc
vars().update(EMAIL_CONFIG)
# A mail server that accepts the connection and then hangs must not hold a worker: the send fails
# after this many seconds and is retried (docs/operations.md, "Mail").
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rohstoff <noreply@rohstoff.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="barrierefreiheit@rohstoff.example"
)
TRADING_DESK_EMAIL = env.str("TRADING_DESK_EMAIL", default="desk@rohstoff.example")
# Each audit integrity check publishes the chain head it verified to this mailbox (docs/security.md).
AUDIT_EMAIL = env.str("AUDIT_EMAIL", default="audit@rohstoff.example")

# --- Operator details for the legal pages (Impressum, privacy notice; docs/legal.md) -----------
# Empty values are shown as "not yet provided" on the pages, so a missing detail is visible.
LEGAL_OPERATOR_NAME = env.str("LEGAL_OPERATOR_NAME", default="")
LEGAL_OPERATOR_ADDRESS = env.str("LEGAL_OPERATOR_ADDRESS", default="", multiline=True)
LEGAL_REPRESENTATIVE = env.str("LEGAL_REPRESENTATIVE", default="")
LEGAL_CONTACT_EMAIL = env.str("LEGAL_CONTACT_EMAIL", default="")
LEGAL_CONTACT_PHONE = env.str("LEGAL_CONTACT_PHONE", default="")
LEGAL_REGISTER_ENTRY = env.str("LEGAL_REGISTER_ENTRY", default="")
LEGAL_VAT_ID = env.str("LEGAL_VAT_ID", default="")
LEGAL_PRIVACY_OFFICER = env.str("LEGAL_PRIVACY_OFFICER", default="", multiline=True)
LEGAL_SUPERVISORY_AUTHORITY = env.str("LEGAL_SUPERVISORY_AUTHORITY", default="", multiline=True)

# --- Languages, time --------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# The project's catalogue, then formal ("Sie") German for Django's and allauth's strings that their
# own catalogues word informally; both take precedence over every app's catalogue (docs/legal.md).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "overrides" / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Our date forms (never month first in English); figures use rohstoff.core.formatting.
FORMAT_MODULE_PATH = ["rohstoff.core.formats"]

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "rohstoff.core.staticfinders.PlotlyFinder",
]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Static files under content-hashed names, gzip and Brotli copies beside them, cached for a year:
# needs `collectstatic` first. On in production (DEBUG=false) and in scripts/demo; a developer's
# DEBUG server without it serves the files as they are, found where they lie.
STATIC_COMPRESSED = _bool("STATIC_COMPRESSED", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "rohstoff.core.storage.CompressedHashedStorage"
            if STATIC_COMPRESSED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_COMPRESSED
# The unhashed copies stay: the 500 page names /static/css/rohstoff.css without the static tag.
WHITENOISE_AUTOREFRESH = DEBUG and not STATIC_COMPRESSED

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Scripts only from our own origin or with the request's nonce; no inline styles, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rohstoff.core.api_auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rohstoff.core.api_permissions.DeclaredPolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "rohstoff.core.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rohstoff.core.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: an endpoint that takes a file (the demand upload) declares multipart itself.
    # Offering every body as JSON, form and multipart makes generated clients unusable.
    "DEFAULT_PARSER_CLASSES": ["rohstoff.core.api_parsers.DecimalJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "rohstoff.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rohstoff API",
    "DESCRIPTION": (
        "Demand rounds, demand lines, procurement positions and offtake allocations of the "
        "Rohstoff platform. Authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No deep links: they put a link inside each operation's toggle button (nested controls).
    # and no syntax colours: several of them fail WCAG AA contrast on the dark code background.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": {"activated": False}},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Every declared 4xx gets an error body (rohstoff/core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "rohstoff.core.openapi.postprocess_error_bodies",
    ],
    # Choice sets that share a field name get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "QuantityUnitEnum": "rohstoff.core.units.Unit",
        "PriceUnitEnum": "contracts.models.PriceUnit",
        "RoundStateEnum": "industry.models.RoundState",
        "ContractStateEnum": "contracts.models.ContractState",
        "AllocationStateEnum": "contracts.models.AllocationState",
        "AllocationRoundStateEnum": "contracts.models.AllocationRound.State",
        "JobStateEnum": "rohstoff.core.models.JobState",
        "ProjectStageEnum": "agency.models.ProjectStage",
        "ProposalStageEnum": "agency.models.ProposalStage",
        "CounterpartyKindEnum": "contracts.models.CounterpartyKind",
        "ContractDocumentKindEnum": "contracts.models.DocumentKind",
        "MovementKindEnum": "agency.stockpile.models.MovementKind",
        "PricingTypeEnum": "contracts.models.PricingType",
        "QuotationalPeriodEnum": "contracts.models.QuotationalPeriod",
        "CallStateEnum": "market.models.CallState",
        "OfferStateEnum": "market.models.OfferState",
        "MatchStatusEnum": "market.models.MatchStatus",
    },
}

# --- Domain settings --------------------------------------------------------------------------
# Disclosure control (docs/disclosure.md): the minimum number of contributing firms, and p of the
# p% rule.
DISCLOSURE_MIN_FIRMS = _int("DISCLOSURE_MIN_FIRMS", 5)
DISCLOSURE_P = _decimal_str("DISCLOSURE_P", "0.10")
DEMAND_FILE_MAX_BYTES = _int("DEMAND_FILE_MAX_BYTES", 10 * 1024 * 1024)
DEMAND_FILE_MAX_ROWS = _int("DEMAND_FILE_MAX_ROWS", 200_000)
# An export of more lines than this is written by a background job into private storage, with a
# download link; its file is deleted after EXPORT_FILE_TTL_HOURS (docs/operations.md).
EXPORT_INLINE_MAX_LINES = _int("EXPORT_INLINE_MAX_LINES", 50_000)
EXPORT_FILE_TTL_HOURS = _int("EXPORT_FILE_TTL_HOURS", 24)
CONTRACT_DOCUMENT_MAX_BYTES = _int("CONTRACT_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
# A running job beats every JOB_HEARTBEAT_SECONDS; one whose heartbeat is older than
# JOB_STALE_AFTER_SECONDS is treated as lost (its worker died). A queued job that no worker picked
# up for JOB_QUEUED_STALE_AFTER_SECONDS after it was sent to the broker is lost too.
JOB_STALE_AFTER_SECONDS = _int("JOB_STALE_AFTER_SECONDS", 30)
JOB_HEARTBEAT_SECONDS = max(1, JOB_STALE_AFTER_SECONDS // 6)
JOB_QUEUED_STALE_AFTER_SECONDS = _int("JOB_QUEUED_STALE_AFTER_SECONDS", 600)
if JOB_STALE_AFTER_SECONDS < 6:
    raise ImproperlyConfigured(
        f"JOB_STALE_AFTER_SECONDS={JOB_STALE_AFTER_SECONDS} is too short: jobs beat every few "
        "seconds (use 6 or more; 30 is the default)."
    )
# Outbox messages (tasks queued after commit) not sent after this many seconds are re-sent by
# the beat task resend_outbox.
OUTBOX_RESEND_AFTER_SECONDS = _int("OUTBOX_RESEND_AFTER_SECONDS", 10)
# A mail that fails all its retries (about ten hours) is parked for another round of tries this
# much later, up to MAIL_ROUNDS rounds in all (docs/operations.md, "Mail").
MAIL_ROUNDS = _int("MAIL_ROUNDS", 3)
MAIL_ROUND_PAUSE_SECONDS = _int("MAIL_ROUND_PAUSE_SECONDS", 6 * 3600)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

FORM_RENDERER = "rohstoff.core.forms.FormRenderer"
