"""Settings from the environment (12-factor).

With nothing set the project runs on the embedded default: SQLite, locmem cache, Celery in
eager mode and the offline AI provider. Setting DATABASE_URL switches to production mode,
where SECRET_KEY is required and DEBUG defaults off.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from automation.task_names import RUN_TASKS
from igny8.beat import beat_schedule
from igny8.encryption import DEVELOPMENT_KEY, encryption_keys_problem
from igny8.encryption import GENERATE_HINT as KEYS_HINT
from igny8.env import env_bool, env_float, env_int
from igny8.operations_settings import operations_settings
from igny8.secret_key import EMBEDDED_DEMO_KEY, GENERATE_HINT, secret_key_problem

BASE_DIR = Path(__file__).resolve().parent.parent


DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not DATABASE_URL

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if EMBEDDED:
    SECRET_KEY = SECRET_KEY or EMBEDDED_DEMO_KEY
elif problem := secret_key_problem(SECRET_KEY):
    raise ImproperlyConfigured(f"{problem} {GENERATE_HINT}")
# Fernet keys for secrets at rest (igny8.encryption): the first encrypts, all decrypt (rotation).
SECRETS_ENCRYPTION_KEYS = os.environ.get("SECRETS_ENCRYPTION_KEYS") or (DEVELOPMENT_KEY if EMBEDDED else "")
if problem := encryption_keys_problem(SECRETS_ENCRYPTION_KEYS, production=not EMBEDDED):
    raise ImproperlyConfigured(f"{problem} {KEYS_HINT}")

DEBUG = env_bool("DEBUG", EMBEDDED)

# HTTPS hardening, switched on by the deployment (behind a TLS proxy set SECURE_PROXY_SSL_HEADER=1).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The OpenAPI schema and Swagger UI are public in the embedded default, behind login in production.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", EMBEDDED)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "rest_framework_simplejwt.token_blacklist",
    "tenancy",
    "events",
    "billing",
    "planner",
    "writer",
    "ai",
    "automation",
    "publishing",
    "dashboard",
]

MIDDLEWARE = [
    "igny8.middleware.RequestIDMiddleware",
    "igny8.middleware.QueryTextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "igny8.urls"
WSGI_APPLICATION = "igny8.wsgi.application"
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if EMBEDDED:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{DATA_DIR / 'igny8.sqlite3'}")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "igny8"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["igny8.permissions.RolePermission"],
    # The browsable API only while debugging: in production it is an HTML form surface nobody needs.
    "DEFAULT_RENDERER_CLASSES": [
        "igny8.api.EnvelopeRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    # JSON everywhere (depth-bounded); the one file upload (import_csv) sets its own multipart parser.
    "DEFAULT_PARSER_CLASSES": ["igny8.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["igny8.throttling.UserRateThrottle"],
    # Client address for throttles: the peer, or the entry this many proxies back in X-Forwarded-For.
    # Never the raw header by default, which any client can forge to escape the limits.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    # Rates as "number/period"; each overridable by THROTTLE_RATE_<SCOPE>, e.g. THROTTLE_RATE_LOGIN=5/minute.
    "DEFAULT_THROTTLE_RATES": {
        scope: os.environ.get(f"THROTTLE_RATE_{scope.upper()}", default)
        for scope, default in {
            "user": "1200/minute",
            "auth_ip": "60/minute",
            "login": "10/minute",
            "register": "20/hour",
            "password": "10/hour",
        }.items()
    },
    "DEFAULT_PAGINATION_CLASS": "igny8.api.EnvelopePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "igny8.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "igny8.schema.AutoSchema",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "IGNY8 Automation API",
    "DESCRIPTION": "Keywords to draft articles with images through a seven-stage AI pipeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "igny8.schema.envelope_hook",
    ],
    "TAGS": [
        {"name": "auth", "description": "Accounts, users, tokens and sites."},
        {"name": "planner", "description": "Keywords, clusters and content ideas."},
        {"name": "writer", "description": "Writing tasks, content and images."},
        {"name": "billing", "description": "Credits: balance, ledger and usage."},
        {"name": "ai", "description": "AI call logs and the state of queued AI actions."},
        {"name": "automation", "description": "The seven-stage pipeline: config, runs, control, logs."},
        {"name": "publishing", "description": "Destinations (WordPress, signed webhooks) and their checks."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "KeywordStatusEnum": "planner.models.KeywordStatus",
        "IdeaStatusEnum": "planner.models.IdeaStatus",
        "TaskStatusEnum": "writer.models.TaskStatus",
        "ContentStatusEnum": "writer.models.ContentStatus",
        "SiteStatusEnum": "writer.models.SiteStatus",
        "DestinationStatusEnum": "publishing.models.DestinationHealth",
        "ImageStatusEnum": "writer.models.ImageStatus",
        "RunStatusEnum": "automation.models.RunStatus",
        "StageTypeEnum": "automation.serializers.STAGE_TYPES",
    },
}

SIMPLE_JWT = {
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    # A password change invalidates access tokens at once (they carry a hash of the password);
    # refresh tokens are revoked through the blacklist.
    "CHECK_REVOKE_TOKEN": True,
    "CHECK_USER_IS_ACTIVE": True,
}

# Celery: the Redis broker in production and tests; eager only in the embedded default.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXTENDED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A refused publish must surface quickly (run_now answers 503) instead of retrying for minutes.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Declared, so a worker started without -Q consumes every queue the project routes to.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("automation"))
CELERY_TASK_ROUTES = {name: {"queue": "automation"} for name in RUN_TASKS}
CELERY_BEAT_SCHEDULE = beat_schedule()

# AI
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "") or None
AI_PROVIDER = os.environ.get("AI_PROVIDER", "openai" if OPENAI_API_KEY else "offline")
OPENAI_TIMEOUT = env_float("OPENAI_TIMEOUT", 120.0)
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 3)
AI_CONCURRENCY = env_int("AI_CONCURRENCY", 4)
# Calls are paced to the limits the provider's answers reveal (ai.pacing), shared through Redis by
# every worker using the same key; these are explicit ceilings on that pace (unset: none).
AI_RPM = env_int("AI_RPM", 0)
AI_TPM = env_int("AI_TPM", 0)
AI_RATE_WINDOW_SECONDS = env_int("AI_RATE_WINDOW_SECONDS", 60)
# How long a call may wait for its turn under the rate limit (429s included) before its run pauses
# with reason `rate_limited`; a 429 never counts as one of the call's OPENAI_MAX_RETRIES.
AI_RATE_LIMIT_MAX_WAIT_SECONDS = env_float("AI_RATE_LIMIT_MAX_WAIT_SECONDS", 300.0)
AI_MODELS = {
    "auto_cluster": os.environ.get("AI_MODEL_AUTO_CLUSTER", "gpt-4o-mini"),
    "generate_ideas": os.environ.get("AI_MODEL_GENERATE_IDEAS", "gpt-4o-mini"),
    "generate_content": os.environ.get("AI_MODEL_GENERATE_CONTENT", "gpt-4o"),
    "generate_image_prompts": os.environ.get("AI_MODEL_GENERATE_IMAGE_PROMPTS", "gpt-4o-mini"),
    "generate_images": os.environ.get("AI_MODEL_GENERATE_IMAGES", "dall-e-3"),
    "embeddings": os.environ.get("AI_MODEL_EMBEDDINGS", "text-embedding-3-small"),
}
AI_IMAGE_SIZE = os.environ.get("AI_IMAGE_SIZE", "1024x1024")

# Automation
AUTOMATION_LOG_DIR = Path(os.environ.get("AUTOMATION_LOG_DIR", DATA_DIR / "logs" / "automation"))
AUTOMATION_LOCK_TTL = env_int("AUTOMATION_LOCK_TTL", 21600)
AUTOMATION_HEARTBEAT_SECONDS = env_float("AUTOMATION_HEARTBEAT_SECONDS", 15.0)
AUTOMATION_STALE_SECONDS = env_float("AUTOMATION_STALE_SECONDS", 300.0)
# A run hands its worker slot back (and queues itself again) after this long, so one big site
# cannot hold a worker while other sites wait.
AUTOMATION_SLICE_SECONDS = env_float("AUTOMATION_SLICE_SECONDS", 600.0)
# How often a working stage writes its result and items in flight to the run (the progress shown).
AUTOMATION_PROGRESS_SECONDS = env_float("AUTOMATION_PROGRESS_SECONDS", 0.5)
# A run waiting in the queue is re-enqueued only after this long (Redis returns a message a dead worker
# had reserved after its one-hour visibility timeout).
AUTOMATION_QUEUE_STALE_SECONDS = env_float("AUTOMATION_QUEUE_STALE_SECONDS", 3600.0)

# Requests to user-given URLs (igny8.outbound): private addresses only when allowed (tests, demos).
ALLOW_PRIVATE_URLS = env_bool("ALLOW_PRIVATE_URLS", False)
OUTBOUND_ALLOW_NETWORKS = os.environ.get("OUTBOUND_ALLOW_NETWORKS", "")
OUTBOUND_TIMEOUT = env_float("OUTBOUND_TIMEOUT", 15.0)
OUTBOUND_MAX_RESPONSE_BYTES = env_int("OUTBOUND_MAX_RESPONSE_BYTES", 5 * 1024 * 1024)
# Site inventory (planner.sitemaps): seconds between two requests of a refresh (politeness), whether a
# refresh reads each page for its title and description, and the most pages one sitemap may list.
INVENTORY_FETCH_DELAY = env_float("INVENTORY_FETCH_DELAY", 1.0)
INVENTORY_READ_PAGES = env_bool("INVENTORY_READ_PAGES", True)
INVENTORY_MAX_PAGES = env_int("INVENTORY_MAX_PAGES", 5000)
# The cannibalization guard compares an idea with other ideas at max(the site's duplicate_threshold, this).
GUARD_IDEA_THRESHOLD = env_float("GUARD_IDEA_THRESHOLD", 0.9)
# Publishing: a claim's lease, retry back-off; PUBLIC_URL prefixes image URLs in webhook bodies.
PUBLISHING_LEASE_SECONDS = env_float("PUBLISHING_LEASE_SECONDS", 600.0)
PUBLISHING_RETRY_BASE_SECONDS = env_float("PUBLISHING_RETRY_BASE_SECONDS", 60.0)
PUBLISHING_RETRY_MAX_SECONDS = env_float("PUBLISHING_RETRY_MAX_SECONDS", 3600.0)
PUBLISHING_MAX_ATTEMPTS = env_int("PUBLISHING_MAX_ATTEMPTS", 10)
PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

# Events, emails, site.idle and retention (docs/OPERATIONS.md), read in their own module.
globals().update(
    operations_settings(embedded=EMBEDDED, data_dir=DATA_DIR, env_int=env_int, env_float=env_float)
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every request URL at INFO; a webhook URL may carry a token in its query.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- Deployment: static files, proxy headers, media, health, metrics, JSON logs -----------------
INSTALLED_APPS += ["drf_spectacular_sidecar", "operations"]
# WhiteNoise right after SecurityMiddleware (the order its documentation gives): gunicorn serves
# admin, Swagger UI and dashboard files with compressed, hashed, long-cached names.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
if EMBEDDED:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start without it
# Hashed names need `collectstatic` (the image runs it at build time); the embedded default serves
# the apps' files directly and needs none.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if EMBEDDED
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Swagger UI from the installed sidecar package, so /api/docs/ works with no internet access.
SPECTACULAR_SETTINGS.update(
    SWAGGER_UI_DIST="SIDECAR", SWAGGER_UI_FAVICON_HREF="SIDECAR", REDOC_DIST="SIDECAR"
)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto / X-Forwarded-Host: switch these on
# only when that proxy is the sole way in, or clients could forge them.
# Probes reach the process over plain HTTP from inside the host, not through the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# Generated images: Django serves MEDIA_ROOT in the embedded default (DEBUG) or when SERVE_MEDIA=1
# (a single-host install); otherwise the proxy serves the media volume, or STORAGES["default"]
# points at object storage.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)

# /ready/ wants a Celery worker seen within this many seconds (the workers heartbeat every 2 s).
HEALTH_WORKER_MAX_AGE = env_float("HEALTH_WORKER_MAX_AGE", 60.0)
HEALTH_BROKER_TIMEOUT = env_float("HEALTH_BROKER_TIMEOUT", 2.0)
# Prometheus metrics at /metrics: off unless METRICS_ENABLED=1; with METRICS_TOKEN set, scrapers
# must send `Authorization: Bearer <token>`.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Task events (for Flower's task views); worker heartbeats are sent either way.
CELERY_WORKER_SEND_TASK_EVENTS = env_bool("CELERY_WORKER_SEND_TASK_EVENTS", False)

# LOG_FORMAT=json: one JSON object a line, with request_id / run_id / stage / task_id where known.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
LOGGING["filters"] = {"context": {"()": "igny8.logs.ContextFilter"}}
LOGGING["formatters"]["json"] = {"()": "igny8.logs.JsonFormatter"}
LOGGING["handlers"]["console"]["filters"] = ["context"]
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "plain"
