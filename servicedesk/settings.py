"""Settings, all driven by the environment (see README "Configuration").

The embedded default needs no server: SQLite in ``var/`` and a kombu ``filesystem://`` broker.
Set ``DATABASE_URL`` and ``CELERY_BROKER_URL`` to run on PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SERVICEDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set, and DEBUG is off: refusing to start. Set SECRET_KEY to a long "
            "random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or DEBUG=true for local development only."
        )
    SECRET_KEY = "django-insecure-local-development-only-key"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS=true (production behind TLS) turns on every transport-security setting at once.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=HTTPS)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The pages load nothing from other sites and carry no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for the project's form renderer
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "servicedesk",
    "org",
    "incidents",
    "notifications",
    "changes",
    "bypass",
    "improvements",
    "metrics",
    "webhooks",
]

MIDDLEWARE = [
    "servicedesk.requestid.RequestIdMiddleware",
    "servicedesk.middleware.RequestGuardMiddleware",
    "servicedesk.middleware.SecurityHeadersMiddleware",
    "servicedesk.middleware.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "servicedesk.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "servicedesk.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

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
                "org.context_processors.roles",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# Forms render through templates/forms/ (one field template, an error summary): accessibility.
FORM_RENDERER = "servicedesk.form_rendering.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# servicedesk.rows prepares the statements that read a list's rows by id (planned once per
# connection); off behind a pooler in transaction mode that does not keep prepared statements.
DATABASE_PREPARE_ROWS = env.bool("DATABASE_PREPARE_ROWS", default=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests on a file, not in memory: the browser tests' live server answers requests in
    # threads, and threads sharing one in-memory connection deadlock in SQLite functions that
    # call back into Python (seen with the metrics charts, which load side by side).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASE_PREPARE_ROWS:
        # psycopg prepares nothing, even when asked, without a threshold; Django's own cursors
        # bind parameters client-side and never prepare, and this one is never reached
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
# The role the application runs as on PostgreSQL (owns no table, not a superuser); the owner
# role runs ``migrate`` and then ``grant_app_role``, which reads this name.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="servicedesk_app")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every process on this machine (rate-limit counters must be).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses while an account or address is locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one account, or from
# one address, further attempts are refused for LOGIN_LOCKOUT_MINUTES. Every attempt is logged.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "servicedesk.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "servicedesk.throttling.client_ip"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG and HTTPS)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not HTTPS
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="servicedesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "servicedesk.schema.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "servicedesk.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["servicedesk.throttling.ApiRateThrottle"],
    # DRF's JSON, encoded by orjson (servicedesk.renderers); the browsable API as before
    "DEFAULT_RENDERER_CLASSES": [
        "servicedesk.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # How many proxies in front append to X-Forwarded-For (0: trust only REMOTE_ADDR).
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=1 if BEHIND_PROXY else 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
KNOX_TOKEN_MODEL = "org.ApiToken"  # noqa: S105 (a model label, not a secret)
# knox's own migrations create its default token table even when the model is swapped;
# ours (org.ApiToken) replaces it, so knox gets no migrations and no table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "TOKEN_PREFIX": "sd_",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "servicedesk API",
    "DESCRIPTION": "The service desk's REST API: incidents, problems and the organisation. "
    "Authenticate with `Authorization: Token <token>` (create one under *Tokens*, top right "
    "of every page) or a signed-in session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # Swagger UI is served from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "ProblemStatusEnum": "incidents.choices.ProblemStatus",
        "LevelEnum": "incidents.choices.Level",
        "PendingReasonEnum": "incidents.choices.PendingReason",
        "ChangeStatusEnum": "changes.choices.ChangeStatus",
        "ChangeTypeEnum": "changes.choices.ChangeType",
        "ChangeCategoryEnum": "changes.choices.Category",
        "ChangeOutcomeEnum": "changes.choices.Outcome",
        "RiskClassEnum": "changes.choices.RiskClass",
        "TemplateStatusEnum": "changes.choices.TemplateStatus",
        "DecisionRuleEnum": "changes.choices.DecisionRule",
        "ImprovementStatusEnum": "improvements.choices.Status",
        "ImprovementSourceEnum": "improvements.choices.Source",
        "ImprovementTopicEnum": "improvements.choices.Topic",
        "EvidenceKindEnum": "improvements.choices.EvidenceKind",
        "DebtStatusEnum": "improvements.choices.DebtStatus",
        "DebtDimensionEnum": "improvements.choices.Dimension",
        "TreatmentEnum": "bypass.choices.Treatment",
        "MetricsSourceEnum": [("live", "live"), ("rollup", "rollup")],
        "MetricsLiveSourceEnum": [("live", "live")],
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FILESYSTEM_DIR = VAR_DIR / "celery" / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FILESYSTEM_DIR),
        "data_folder_out": str(CELERY_BROKER_FILESYSTEM_DIR),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
    _default_backend = f"file://{VAR_DIR / 'celery' / 'results'}"
    for _folder in ("broker", "control", "processed", "results"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
else:
    # A message a worker took and never acknowledged (the worker was killed) returns to its
    # queue after the visibility timeout: longer than any task's time limit (120 s at most,
    # retry countdowns included), short enough for a prompt redelivery. Restores are checked
    # every ``unacked_restore_interval`` seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
    }
    _default_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_backend)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# The outbox (servicedesk.outbox): batch per sweep, backoff cap, when a pending message counts
# as stuck on /healthz, how long sent ones are kept, how long the on-commit relay leaves a
# failing broker alone.
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=200)
OUTBOX_MAX_BACKOFF_SECONDS = env.int("OUTBOX_MAX_BACKOFF_SECONDS", default=300)
OUTBOX_STUCK_AFTER = timedelta(seconds=env.int("OUTBOX_STUCK_AFTER_SECONDS", default=300))
OUTBOX_KEEP_SENT = timedelta(days=env.int("OUTBOX_KEEP_SENT_DAYS", default=7))
OUTBOX_BREAKER_SECONDS = env.float("OUTBOX_BREAKER_SECONDS", default=5.0)
# How old the last worker heartbeat may be before /healthz calls the worker absent.
WORKER_HEARTBEAT_MAX_AGE = timedelta(seconds=env.int("WORKER_HEARTBEAT_MAX_AGE", default=90))

# --- Integrator API -------------------------------------------------------------------------
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# The change feed (updated_after) holds back rows changed in the last seconds: their
# transaction may not have committed yet, and a client's cursor must not pass them by.
CHANGE_FEED_SETTLE_SECONDS = env.int("CHANGE_FEED_SETTLE_SECONDS", default=2)

# --- Process settings -----------------------------------------------------------------------
INCIDENT_REOPEN_WINDOW = timedelta(days=env.int("INCIDENT_REOPEN_WINDOW_DAYS", default=10))
INCIDENT_AUTO_CLOSE_DAYS = env.int("INCIDENT_AUTO_CLOSE_DAYS", default=5)
# Changes: lead time a normal change needs, by risk class (hours); the risk weights (None: the
# defaults in changes/risk.py); how long an emergency change may defer its documentation.
CHANGE_LEAD_TIME_HOURS = {"low": 24, "medium": 48, "high": 72, "very_high": 120}
CHANGE_RISK_WEIGHTS: dict[str, object] | None = None
CHANGE_EMERGENCY_DOCUMENTATION_HOURS = env.int("CHANGE_EMERGENCY_DOCUMENTATION_HOURS", default=48)
CHANGE_START_EARLY_MINUTES = 15
# How often the analyst's queue table refreshes itself (paused while rows are ticked).
QUEUE_REFRESH_SECONDS = env.int("QUEUE_REFRESH_SECONDS", default=30)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
ATTACHMENT_TYPES = env.list(
    "ATTACHMENT_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Largest request body other than an upload (JSON, forms); uploads may add ATTACHMENT_MAX_MB.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_KB", default=1024) * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES

# --- API rate limits ------------------------------------------------------------------------
API_RATE_PER_TOKEN = env.str("API_RATE_PER_TOKEN", default="600/minute")
API_RATE_PER_IP = env.str("API_RATE_PER_IP", default="1200/minute")
RATELIMIT_CACHE = "default"
RATELIMIT_KEY_PREFIX = "ratelimit"

# --- Webhooks -------------------------------------------------------------------------------
# Each delivery: one POST with these timeouts, retried with exponential backoff (base doubling,
# capped) up to WEBHOOK_MAX_ATTEMPTS; a subscription is disabled after
# WEBHOOK_DISABLE_AFTER consecutive failed attempts and its owner is told by e-mail.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=15)
WEBHOOK_KEEP_DAYS = env.int("WEBHOOK_KEEP_DAYS", default=30)  # the delivery log's memory
# Deliveries go straight to the receiver unless this is set (then the usual *_proxy variables).
WEBHOOK_USE_PROXY = env.bool("WEBHOOK_USE_PROXY", default=False)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "servicedesk.requestid.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
