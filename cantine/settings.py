"""Settings for Cantine: one file, configured by environment variables.

Every variable is documented in README.md ("Configuration"). The defaults are
safe: DEBUG is off, HTTPS is on, and a missing SECRET_KEY stops the server
instead of silently using a known key.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be on/off (got {value!r}).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {value!r}).") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        # Only for the quick start: never used in production.
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(a long random string) or run with DEBUG=1 for development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "members",
    "meals",
    "hygiene",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cantine.errors.DatabaseUnavailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cantine.middleware.PrivatePagesNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Innermost: fills each form's one-time key before anything measures the page.
    "meals.idempotency.FormKeyMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cantine.urls"

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
                "members.context_processors.roles",
                "members.context_processors.cantine",
            ],
        },
    },
]

WSGI_APPLICATION = "cantine.wsgi.application"

# Database ---------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # However the file is named (SQLITE_PATH or DATABASE_URL=sqlite:///…).
    # IMMEDIATE takes the write lock at BEGIN, so two bookings queue up (busy
    # timeout) instead of one failing with "database is locked": a deferred
    # transaction that read first and writes later gets SQLITE_BUSY at once,
    # without waiting, when another writer went ahead. Options in the URL win.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})
    if env_str("TEST_DATABASE_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = env_str("TEST_DATABASE_NAME")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared by every worker and host (meals/cache.py says what is kept in it, and sessions).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cantine_cache",
            # Kept pages per language and viewer, and sessions: room for a busy cantine's.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Authentication ---------------------------------------------------------

# django-axes first: it refuses a locked-out address or IP before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "members.backends.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "members:home"
LOGOUT_REDIRECT_URL = "meals:upcoming"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes, members/lockout.py): an address is locked after
# LOGIN_FAILURE_LIMIT failures, an IP after LOGIN_FAILURE_LIMIT_PER_IP (higher:
# the cantine's wifi is one IP for everyone), for LOGIN_LOCKOUT_MINUTES after the last one.
AXES_HANDLER = "members.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "members.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "members.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "members.lockout.lockout_response"
# LockoutHandler forgets the failures of the address that logged in, not of its IP.
AXES_RESET_ON_SUCCESS = False
# No table of every successful login (personal data kept for nothing); failures expire.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Mails about accounts: how many one IP may ask for, and one address may receive.
PASSWORD_RESET_RATE_LIMIT = env_str("PASSWORD_RESET_RATE_LIMIT", "10/h")
SIGNUP_RATE_LIMIT = env_str("SIGNUP_RATE_LIMIT", "5/h")
ACCOUNT_EMAIL_RATE_LIMIT = env_str("ACCOUNT_EMAIL_RATE_LIMIT", "3/h")
# A coordinator approves each new volunteer before their first shift.
VOLUNTEERS_NEED_APPROVAL = env_bool("VOLUNTEERS_NEED_APPROVAL", False)

# Internationalisation ---------------------------------------------------
# French is the source language of every string; English comes from locale/en.

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = False
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded files (the receipts' photos of purchases): never served as static files, only by a coordinator's view.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email ------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # Django's SMTP backend with one hook more: the outbox records the instant the
    # end of the message is sent (meals/mail.py, README « Messages »).
    EMAIL_BACKEND = "meals.mail.SMTPBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a silent mail server counts as down; shorter than OUTBOX_LEASE_SECONDS.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cantine <cantine@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in emails (private booking links, iCal feeds).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Messages: the outbox, its worker and SMS (README « Messages (email and SMS) ») --

# The durable queue: Django's Tasks framework (the django-tasks backport) on the
# database (django-tasks-db), written in the same transaction as the change.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "messages"],
    }
}
# Attempts before a message is shown as failed; the wait doubles from the first delay up to the last.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_FIRST_RETRY_SECONDS = env_int("OUTBOX_FIRST_RETRY_SECONDS", 60)
OUTBOX_MAX_RETRY_SECONDS = env_int("OUTBOX_MAX_RETRY_SECONDS", 3600)
# How long a worker may hold a message it is sending before another worker takes it back.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
# Sent messages are forgotten after this many days (their text is dropped at once).
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 30)
# Like EMAIL_BACKEND: console by default (the worker prints each SMS); tests/settings.py keeps them in meals.sms.outbox.
SMS_BACKEND = env_str("SMS_BACKEND", "meals.sms.ConsoleBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "sms-outbox"))
# Brevo transactional SMS (meals.sms.BrevoBackend): the key, the sender shown (3 to 11 letters or digits).
BREVO_API_KEY = env_str("BREVO_API_KEY")
BREVO_API_URL = env_str("BREVO_API_URL", "https://api.brevo.com/v3").rstrip("/")
SMS_SENDER = env_str("SMS_SENDER", "Cantine")
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 10)
# The secret part of the URL the provider calls with replies (« STOP »); empty: no such URL.
SMS_INBOUND_TOKEN = env_str("SMS_INBOUND_TOKEN")

# Security ---------------------------------------------------------------

HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_PROXY", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of the app (README,
# "Deployment"); 0 keys rate limits on the peer's address and ignores the header.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES must be 0 or more (got {NUM_PROXIES}).")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Cantine ----------------------------------------------------------------

# How many bookings one client may send: "10/m", "100/h", or "off".
BOOKING_RATE_LIMIT = env_str("BOOKING_RATE_LIMIT", "10/m")
MAX_PARTY_SIZE = env_int("MAX_PARTY_SIZE", 4)
if not 1 <= MAX_PARTY_SIZE <= 20:  # the on-behalf form's own limit; the database refuses more than 100
    raise ImproperlyConfigured(f"MAX_PARTY_SIZE must be between 1 and 20 (got {MAX_PARTY_SIZE}).")
# Guards the door desk against typos ("500" instead of "5,00").
CONTRIBUTION_CEILING = env_int("CONTRIBUTION_CEILING", 500)
# The door desk's one-tap amounts in euros, the same at every meal: the hand learns where they are.
try:
    DOOR_QUICK_AMOUNTS = tuple(int(value) for value in env_list("DOOR_QUICK_AMOUNTS", "3,5,8,10,15"))
except ValueError as exc:
    raise ImproperlyConfigured("DOOR_QUICK_AMOUNTS must be whole euros separated by commas (e.g. 3,5,8).") from exc
if not all(0 < amount < CONTRIBUTION_CEILING for amount in DOOR_QUICK_AMOUNTS):
    raise ImproperlyConfigured(f"DOOR_QUICK_AMOUNTS must be between 1 and {CONTRIBUTION_CEILING - 1} euros.")
# Shown to guests and volunteers who need a person ("Appelez la coordination au …").
COORDINATION_PHONE = env_str("COORDINATION_PHONE", "")

# Logging: everything to stdout, for gunicorn and the process manager.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # axes: lockouts are warnings; its INFO lines (one per failure) are noise.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
