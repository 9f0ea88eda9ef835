"""Bhakti settings: one module, driven by environment variables.

Every helper below fails loudly (ImproperlyConfigured) on a malformed value, so a typo in the
environment stops the process at start instead of surfacing as odd behaviour later.
The embedded default needs no variables at all: SQLite, django-q2's ORM broker, local media.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from bhakti.logging import logging_config as _logging_config
from bhakti.sentry import init_sentry as _init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: set[str]) -> str:
    """A URL whose scheme is one of `schemes` and which names a host (or "" when unset)."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parsed = urlparse(raw)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ImproperlyConfigured(f"{name} must be a {'/'.join(sorted(schemes))} URL, got {raw!r}")
    try:
        parsed.port  # noqa: B018 - urlparse raises on a malformed port only when asked
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a malformed port: {raw!r}") from None
    return raw


def database_from_url(url: str) -> dict[str, object]:
    """Parse postgres://user:pass@host:port/name?sslmode=require into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or postgresql://, got scheme {parsed.scheme!r}"
        )
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://u@host/bhakti")
    try:
        port = parsed.port
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL has a malformed port") from None
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(port or ""),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-insecure-bhakti-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where this site is reached from outside, for links made outside a web request: the MCP server
# (`manage.py mcp`) gives assistants the API's download URLs of a video's files on this base.
SITE_URL = env_url("SITE_URL", "http://localhost:8000", schemes={"http", "https"}).rstrip("/")

# --- HTTPS (on by default with DEBUG off; `manage.py check --deploy` stays clean) -----------------
# Behind a TLS-terminating proxy, set TRUST_X_FORWARDED_PROTO=1 (and make sure the proxy sets
# X-Forwarded-Proto itself, overwriting what the client sent): Django then knows a request came over
# HTTPS and does not redirect it forever. Where TLS really ends elsewhere and the proxy redirects,
# SECURE_SSL_REDIRECT=0 turns Django's redirect off; cookies and HSTS stay as configured.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Probes and scrapers call the process directly over plain HTTP (paths without the leading slash).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics(/prometheus)?$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# One year, as check --deploy recommends; 0 turns HSTS off. Browsers remember it: raise it only
# once HTTPS works for the host (and, with the default includeSubDomains, for every subdomain).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive only makes the host eligible; nothing is submitted to browsers' lists.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True

DATA_DIR = Path(env_str("BHAKTI_DATA_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served locally, never from a CDN
    "django_htmx",
    "template_partials",
    "axes",
    "accounts",
    "renders",
    "library",
    "publishing",
    "assistants",  # the MCP server (manage.py mcp): a front door above the other apps
    "compat",  # the older API shapes (docs/compat-api.md): adapters over the services
]

MIDDLEWARE = [
    # First: every log line below carries the request id.
    "bhakti.logging.RequestIdMiddleware",
    # Refusals (429, 401 on the API) that leave the stack reach the audit trail, with that id.
    "accounts.audit.AuditRefusalsMiddleware",
    # Django's own 400/404/405/500 pages under /api/ become the API's JSON error shape.
    "bhakti.api.middleware.JsonApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "bhakti.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into accounts.lockout's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bhakti.urls"
WSGI_APPLICATION = "bhakti.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "publishing.context_processors.publishing",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend whose writers take turns without SQLite's sleeping busy
            # handler (bhakti/sqlite_backend/base.py: the tail of a burst of writes).
            "ENGINE": "bhakti.sqlite_backend",
            "NAME": Path(env_str("SQLITE_PATH", str(DATA_DIR / "bhakti.sqlite3"))),
            # Reused across requests: opening the file and running the PRAGMAs below cost more
            # than a status poll itself (measured: 6.8 ms a poll with a new connection, 4.2 reused).
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            "CONN_HEALTH_CHECKS": True,
            # Tests: an in-memory database, said outright: pytest-django would otherwise give the
            # test database of an engine other than Django's own SQLite a file name per worker.
            "TEST": {"NAME": ":memory:"},
            # WAL + IMMEDIATE transactions + a busy timeout: the web process and the
            # django-q2 cluster share this file; without these SQLite says "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "", schemes={"redis", "rediss", "unix"})
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "bhakti.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bhakti",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "renders.static_fonts.PackageFontFinder",  # the Devanagari web font, from its pip package
]

S3_BUCKET = env_str("S3_BUCKET", "")
# Browsers get presigned links signed for S3_PUBLIC_URL when set (see bhakti/storage.py for why
# it is not django-storages' custom_domain, which would turn presigning off).
S3_PUBLIC_URL = env_url("S3_PUBLIC_URL", "", schemes={"http", "https"})
if S3_BUCKET:
    _s3_options: dict[str, object] = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env_url("S3_ENDPOINT", "", schemes={"http", "https"}) or None,
        "access_key": env_str("S3_ACCESS_KEY", "") or None,
        "secret_key": env_str("S3_SECRET_KEY", "") or None,
        "region_name": env_str("S3_REGION", "us-east-1"),
        "signature_version": "s3v4",
        "addressing_style": "path",
        "querystring_auth": True,
        "querystring_expire": env_int("S3_URL_EXPIRE_SEC", 3600, minimum=60),
        "file_overwrite": False,
        "default_acl": None,
        "public_endpoint_url": S3_PUBLIC_URL or None,
    }
    media_storage: dict[str, object] = {
        "BACKEND": "bhakti.storage.PresignedS3Storage",
        "OPTIONS": _s3_options,
    }
else:
    media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (web form and admin) are counted by django-axes, per account and per client address
# apart: LOGIN_FAILURE_LIMIT failures lock either one for LOGIN_LOCKOUT_MINUTES (429, Retry-After).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Per client address and hour: accounts created, and password-reset e-mails asked for.
SIGNUPS_PER_HOUR_PER_ADDRESS = env_int("SIGNUPS_PER_HOUR_PER_ADDRESS", 10, minimum=1)
PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = env_int("PASSWORD_RESETS_PER_HOUR_PER_ADDRESS", 5, minimum=1)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "bhakti.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # works on every database; no cache needed
AXES_VERBOSE = False  # our audit trail records failures already
# No row per successful login (axes' AccessLog would grow without end and duplicate the audit trail);
# failed attempts are still counted, and removed once their cool-off has passed.
AXES_DISABLE_ACCESS_LOG = True
# How many reverse proxies of this deployment's own stand before the app (bhakti/client_ip.py).
# 0: REMOTE_ADDR is the client. 1: one proxy (nginx, a load balancer) appends to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "renders:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "bhakti@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Render limits and quotas -------------------------------------------------------------
MAX_SCENES = env_int("MAX_SCENES", 20, minimum=1)
MAX_SCENE_DURATION_SEC = env_int("MAX_SCENE_DURATION_SEC", 20, minimum=1)
MAX_TOTAL_DURATION_SEC = env_int("MAX_TOTAL_DURATION_SEC", 600, minimum=1)
MAX_JOB_COST = env_float("MAX_JOB_COST", 5.0)
JOBS_PER_DAY = env_int("JOBS_PER_DAY", 50, minimum=0)
# Renders started per user per minute, over all API keys, sessions and the web forms.
RATE_LIMIT_PER_MIN = env_int("RATE_LIMIT_PER_MIN", 10, minimum=1)
# Unknown API keys allowed from one client address per window before it gets 429s.
API_KEY_FAILURES_PER_WINDOW = env_int("API_KEY_FAILURES_PER_WINDOW", 20, minimum=1)
API_KEY_FAILURE_WINDOW_SEC = env_int("API_KEY_FAILURE_WINDOW_SEC", 300, minimum=1)
MAX_UPLOAD_IMAGE_BYTES = env_int("MAX_UPLOAD_IMAGE_BYTES", 10 * 1024 * 1024, minimum=1024)
# An uploaded picture no job has used is deleted (file and record) this long after its upload.
UPLOAD_UNUSED_TTL_HOURS = env_int("UPLOAD_UNUSED_TTL_HOURS", 24, minimum=1)
# Pictures one POST /api/v1/uploads may carry (a photo video has at most this many scenes too).
MAX_UPLOADS_PER_REQUEST = 20

# --- Renderer --------------------------------------------------------------------------------
MUSIC_DB = env_float("MUSIC_DB", -12.0)
NARRATION_PADDING_SEC = env_float("NARRATION_PADDING_SEC", 0.6)
RENDER_ENCODER = env_str("RENDER_ENCODER", "auto")  # auto | libx264 | h264_nvenc
RENDER_PARALLELISM = env_int("RENDER_PARALLELISM", os.cpu_count() or 1, minimum=1)
RENDER_WORK_DIR = Path(env_str("RENDER_WORK_DIR", str(DATA_DIR / "work")))
RENDER_CACHE_DIR = Path(env_str("RENDER_CACHE_DIR", str(DATA_DIR / "cache")))
PROXY_SHORT_SIDE = env_int("PROXY_SHORT_SIDE", 360, minimum=64)
# The job page plays finished scenes while the rest render (an HLS stream of the segments, muxed
# with their narration: one short ffmpeg per segment, no video encode). Off: it waits for the MP4.
RENDER_LIVE_STREAM = env_bool("RENDER_LIVE_STREAM", True)
# One job's segments rendered by every cluster that serves the queue (renders/fan_out.py): "auto"
# while more than one cluster reports itself, "on", or "off". Needs RENDER_CACHE_DIR and
# RENDER_WORK_DIR on a volume every worker mounts at the same path (docs/deployment.md).
RENDER_FAN_OUT = env_str("RENDER_FAN_OUT", "auto")
if RENDER_FAN_OUT not in {"auto", "on", "off"}:
    raise ImproperlyConfigured("RENDER_FAN_OUT must be auto, on or off")
# A running job whose heartbeat is older than this is taken for dead (renders/reaper.py). Workers
# beat every 10 s, so anything under 20 would reap live jobs; 45 allows three missed beats and,
# with the reaper every REAPER_EVERY_SEC, restarts a dead worker's job within about a minute.
# The front page's sample videos (library.samples): queued on start by bootstrap_demo.
SAMPLE_VIDEOS = env_bool("SAMPLE_VIDEOS", True)
MAX_BULK_DELETE = 100  # videos one "Delete selected" in the library may name
HEARTBEAT_STALE_SEC = env_int("HEARTBEAT_STALE_SEC", 45, minimum=20)

# --- Workers (django-q2) -----------------------------------------------------------------------
RENDER_WORKERS = env_int("RENDER_WORKERS", 2, minimum=1)
JOB_TIMEOUT_SEC = env_int("JOB_TIMEOUT_SEC", 1800, minimum=30)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)
# A transient failure (renders/failures.py) or a lost worker queues the job again for its next
# attempt after RETRY_BACKOFF_SEC × RETRY_BACKOFF_FACTOR^(n-2) seconds: 10 s, then 40 s. No worker
# waits meanwhile: the job is queued with a not-before time that claims honour.
RETRY_BACKOFF_SEC = env_float("RETRY_BACKOFF_SEC", 10.0)
RETRY_BACKOFF_FACTOR = env_float("RETRY_BACKOFF_FACTOR", 4.0)
if RETRY_BACKOFF_SEC < 0 or RETRY_BACKOFF_FACTOR < 1:
    raise ImproperlyConfigured("RETRY_BACKOFF_SEC must be at least 0 and RETRY_BACKOFF_FACTOR at least 1")
# The highest job priority (1-10, default 5) a creator may ask for; admins, staff and
# superusers may use up to 10. At 5 a creator can only lower theirs (a batch that should yield).
CREATOR_MAX_PRIORITY = env_int("CREATOR_MAX_PRIORITY", 5, minimum=1)
if CREATOR_MAX_PRIORITY > 10:
    raise ImproperlyConfigured("CREATOR_MAX_PRIORITY must be between 1 and 10")
# A task handed to a cluster is leased for BROKER_LEASE_SEC and renewed every BROKER_RENEW_SEC
# while the cluster lives (renders/broker.py): a dead cluster's tasks are free again that soon.
BROKER_LEASE_SEC = env_int("BROKER_LEASE_SEC", 30, minimum=5)
BROKER_RENEW_SEC = env_int("BROKER_RENEW_SEC", 10, minimum=1)
if BROKER_RENEW_SEC * 2 > BROKER_LEASE_SEC:
    raise ImproperlyConfigured("BROKER_RENEW_SEC must be at most half of BROKER_LEASE_SEC")
# `manage.py run_workers`: the reaper's own timer, and how long a stopping cluster's workers get
# to put their jobs back before whatever is left is killed.
REAPER_EVERY_SEC = env_int("REAPER_EVERY_SEC", 15, minimum=1)
WORKER_STOP_GRACE_SEC = env_int("WORKER_STOP_GRACE_SEC", 6, minimum=1)
Q_CLUSTER = {
    "name": "bhakti",
    "orm": "default",
    "broker_class": "renders.broker.LeaseBroker",
    "workers": RENDER_WORKERS,
    # queue_limit = workers: a cluster prefetches little, and what it holds is leased (above).
    "queue_limit": RENDER_WORKERS,
    "timeout": JOB_TIMEOUT_SEC,
    # Unused by the lease broker (it locks for BROKER_LEASE_SEC); kept for django-q2's checks.
    "retry": JOB_TIMEOUT_SEC + 300,
    "max_attempts": JOB_MAX_ATTEMPTS,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    # Every cluster runs the scheduler by default (django-q2 locks each tick, so it runs once);
    # docker-compose turns it off on render workers and leaves it to the small scheduler service.
    "scheduler": env_bool("Q_SCHEDULER", True),
}

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # API keys first: its WWW-Authenticate header makes a missing or bad credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON deeper than 32 levels, NUL and lone surrogates are a 400 naming the field, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "bhakti.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every error is JSON {"code", "message"[, "errors", "limit", "retry_after"]}.
    "EXCEPTION_HANDLER": "bhakti.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bhakti API",
    "DESCRIPTION": "Render narrated story videos from a plan.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "renders.models.JobState",
        # The older API shapes' values (compat/mappings.py).
        "CompatStateEnum": "compat.mappings.LEGACY_STATE_NAMES",
        "CompatVoiceEnum": "compat.mappings.LEGACY_VOICE_NAMES",
        "VoiceEnum": "renders.pipeline.plan.VOICES",
        # A publication's and a series' privacy: the same three values, one enum.
        "PrivacyEnum": "publishing.models.Privacy",
    },
}
# Webhooks: signed POSTs on every job state change, retried with exponential backoff.
# Private, loopback and link-local targets are refused unless this is on (tests, closed networks).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SEC = env_float("WEBHOOK_TIMEOUT_SEC", 10.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
WEBHOOK_BACKOFF_SEC = env_int("WEBHOOK_BACKOFF_SEC", 30, minimum=1)  # doubles per attempt: 30 s, 1 min, 2 min, …
IDEMPOTENCY_TTL_SEC = env_int("IDEMPOTENCY_TTL_SEC", 24 * 3600, minimum=60)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")
# JSON lines for log shippers in production; readable text on a developer's terminal.
JSON_LOGS = env_bool("JSON_LOGS", not DEBUG)
LOGGING_CONFIG = "logging.config.dictConfig"
LOGGING = _logging_config(level=LOG_LEVEL, json_logs=JSON_LOGS)

# --- Observability and upkeep ----------------------------------------------------------------
SENTRY_DSN = env_url("SENTRY_DSN", "", schemes={"http", "https"})
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production" if not DEBUG else "development")
SENTRY_RELEASE = env_str("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
if not 0.0 <= SENTRY_TRACES_SAMPLE_RATE <= 1.0:
    raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got {SENTRY_TRACES_SAMPLE_RATE}")
# /metrics and /metrics/prometheus want "Authorization: Bearer METRICS_TOKEN" when it is set; the
# same token shows /readyz's details. Unset, the metrics answer 404 unless METRICS_PUBLIC is on
# (a closed network where anyone who can reach them may read them).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_PUBLIC = env_bool("METRICS_PUBLIC", False)
# /readyz fails below this much free space where jobs render (RENDER_WORK_DIR).
READY_MIN_FREE_DISK_MB = env_int("READY_MIN_FREE_DISK_MB", 1024, minimum=0)
# Scene images, narration audio and cached segments older than this are deleted; final videos,
# thumbnails and subtitles never are.
RETENTION_DAYS = env_int("RETENTION_DAYS", 30, minimum=1)
# A failed job's work dir (stills, speech) is kept this long so an early retry reuses it.
FAILED_WORK_DIR_KEEP_HOURS = env_int("FAILED_WORK_DIR_KEEP_HOURS", 24, minimum=0)
# A job still "queued" this long with no task for it in the broker is enqueued again.
QUEUED_STALE_SEC = env_int("QUEUED_STALE_SEC", 300, minimum=30)

_init_sentry(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    release=SENTRY_RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)


# --- Providers (cloud ones are used only when configured; the chain ends with a local one) ---
IMAGE_PROVIDERS = env_list("IMAGE_PROVIDERS", ["local"])  # e.g. openai,local
SPEECH_PROVIDERS = env_list("SPEECH_PROVIDERS", ["espeak"])  # e.g. elevenlabs,openai,espeak
# Prices used for cost estimates and the recorded cost of a job (US dollars).
PRICE_PER_IMAGE = {"local": 0.0, "openai": env_float("PRICE_OPENAI_IMAGE", 0.04)}
PRICE_PER_1K_SPEECH_CHARS = {
    "espeak": 0.0,
    "openai": env_float("PRICE_OPENAI_TTS_1K_CHARS", 0.015),
    "elevenlabs": env_float("PRICE_ELEVENLABS_1K_CHARS", 0.30),
}
PRICE_PER_IMAGE["pexels"] = 0.0  # stock footage is free to use; its still costs nothing
PRICE_OPENAI_CHAT_1K_INPUT_TOKENS = env_float("PRICE_OPENAI_CHAT_1K_INPUT_TOKENS", 0.00015)
PRICE_OPENAI_CHAT_1K_OUTPUT_TOKENS = env_float("PRICE_OPENAI_CHAT_1K_OUTPUT_TOKENS", 0.0006)


def env_map(name: str, default: str) -> dict[str, str]:
    """Parse "en-female=nova,hi-male=onyx" into a dict; a malformed entry stops the process."""
    raw = os.environ.get(name, default)
    result: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must look like en-female=VOICE,hi-male=VOICE; bad entry {item!r}")
        result[key.strip()] = value.strip()
    return result


# --- Cloud providers: each is used only when listed above AND its key is set ------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY", "")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "")  # empty: api.openai.com
# Defaults the pinned SDK lists as current (renders/pipeline/providers/catalog.py keeps the shutdown
# dates; a configured model that is shut down or has a date is warned about at start-up and in /readyz).
OPENAI_IMAGE_MODEL = env_str("OPENAI_IMAGE_MODEL", "gpt-image-2.5-flare")
OPENAI_TTS_MODEL = env_str("OPENAI_TTS_MODEL", "gpt-4o-mini-tts")  # announced shutdown 2027-01-06
OPENAI_CHAT_MODEL = env_str("OPENAI_CHAT_MODEL", "gpt-6-luna")
OPENAI_TTS_VOICES = env_map("OPENAI_TTS_VOICES", "en-female=nova,en-male=onyx,hi-female=shimmer,hi-male=echo")
ELEVENLABS_API_KEY = env_str("ELEVENLABS_API_KEY", "")
ELEVENLABS_BASE_URL = env_str("ELEVENLABS_BASE_URL", "")  # without /v1; empty: api.elevenlabs.io
ELEVENLABS_MODEL = env_str("ELEVENLABS_MODEL", "eleven_multilingual_v2")
# Default ("premade") voices Sarah and George; multilingual_v2 speaks Hindi with them too.
# (Rachel and Adam, the old defaults, are retired or legacy.)
ELEVENLABS_VOICES = env_map(
    "ELEVENLABS_VOICES",
    "en-female=EXAVITQu4vr4xnSDxMaL,en-male=JBFqnCBsd6RMkjVDRZzb,hi-female=EXAVITQu4vr4xnSDxMaL,hi-male=JBFqnCBsd6RMkjVDRZzb",
)
PEXELS_API_KEY = env_str("PEXELS_API_KEY", "")
PEXELS_BASE_URL = env_str("PEXELS_BASE_URL", "")  # empty: api.pexels.com
PROVIDER_TIMEOUT_SEC = env_float("PROVIDER_TIMEOUT_SEC", 60.0)
PROVIDER_MAX_RETRIES = env_int("PROVIDER_MAX_RETRIES", 3, minimum=0)
PROVIDER_BACKOFF_SEC = env_float("PROVIDER_BACKOFF_SEC", 1.0)  # doubles per retry; Retry-After wins if longer
PROVIDER_MAX_WAIT_SEC = env_float("PROVIDER_MAX_WAIT_SEC", 60.0)

# --- YouTube publishing -------------------------------------------------------------------------
YOUTUBE_CLIENT_ID = env_str("YOUTUBE_CLIENT_ID", "")
YOUTUBE_CLIENT_SECRET = env_str("YOUTUBE_CLIENT_SECRET", "")
YOUTUBE_REDIRECT_URI = env_str("YOUTUBE_REDIRECT_URI", "")  # empty: built from the request's host
GOOGLE_OAUTH_AUTH_URI = env_str("GOOGLE_OAUTH_AUTH_URI", "https://accounts.google.com/o/oauth2/auth")
GOOGLE_OAUTH_TOKEN_URI = env_str("GOOGLE_OAUTH_TOKEN_URI", "https://oauth2.googleapis.com/token")
GOOGLE_OAUTH_REVOKE_URI = env_str("GOOGLE_OAUTH_REVOKE_URI", "https://oauth2.googleapis.com/revoke")
YOUTUBE_API_ROOT = env_str("YOUTUBE_API_ROOT", "")  # empty: youtube.googleapis.com; tests use a stand-in
# YouTube's resumable upload takes chunks in multiples of 256 KiB (all but the last).
YOUTUBE_UPLOAD_CHUNK_BYTES = env_int("YOUTUBE_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024, minimum=256 * 1024)
if YOUTUBE_UPLOAD_CHUNK_BYTES % (256 * 1024):
    raise ImproperlyConfigured(
        f"YOUTUBE_UPLOAD_CHUNK_BYTES must be a multiple of 262144 (256 KiB), got {YOUTUBE_UPLOAD_CHUNK_BYTES}"
    )
YOUTUBE_NUM_RETRIES = env_int("YOUTUBE_NUM_RETRIES", 3, minimum=0)
YOUTUBE_CATEGORY_ID = env_str("YOUTUBE_CATEGORY_ID", "22")  # People & Blogs
# True while the Google OAuth app is in "Testing" publishing status: Google then expires refresh
# tokens 7 days after consent, so a publication due later is flagged when it is scheduled.
GOOGLE_OAUTH_APP_IN_TESTING = env_bool("GOOGLE_OAUTH_APP_IN_TESTING", False)
PUBLISH_STALE_SEC = env_int("PUBLISH_STALE_SEC", 1800, minimum=60)
# A Short's custom thumbnail is applied only once YouTube has processed the video: wait this long
# at most (polling videos.list every YOUTUBE_PROCESSING_POLL_SEC) before setting it.
YOUTUBE_SHORTS_PROCESSING_WAIT_SEC = env_int("YOUTUBE_SHORTS_PROCESSING_WAIT_SEC", 300, minimum=0)
YOUTUBE_PROCESSING_POLL_SEC = env_float("YOUTUBE_PROCESSING_POLL_SEC", 10.0)
# Fernet key(s) for tokens at rest, comma-separated (first one encrypts; all decrypt, for rotation).
# Unset: derived from SECRET_KEY, so changing SECRET_KEY then means reconnecting YouTube channels.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "")
