"""Settings from the environment (12-factor).

With nothing set the project runs on the embedded default: SQLite, locmem cache, Celery in
eager mode and the offline AI provider. Setting DATABASE_URL switches to production mode,
where SECRET_KEY is required and DEBUG defaults off.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not DATABASE_URL

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not EMBEDDED:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. It is required whenever DATABASE_URL is set (production mode)."
        )
    SECRET_KEY = "embedded-default-insecure-key-for-local-demo-only"

DEBUG = env_bool("DEBUG", EMBEDDED)
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
    "tenancy",
    "billing",
    "planner",
    "writer",
    "ai",
    "automation",
]

MIDDLEWARE = [
    "igny8.middleware.RequestIDMiddleware",
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
    "DEFAULT_RENDERER_CLASSES": [
        "igny8.api.EnvelopeRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON everywhere; the one file upload (keywords/import_csv/) sets its own multipart parser.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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
    ],
    "ENUM_NAME_OVERRIDES": {
        "KeywordStatusEnum": "planner.models.KeywordStatus",
        "IdeaStatusEnum": "planner.models.IdeaStatus",
        "TaskStatusEnum": "writer.models.TaskStatus",
        "ContentStatusEnum": "writer.models.ContentStatus",
        "ImageStatusEnum": "writer.models.ImageStatus",
        "RunStatusEnum": "automation.models.RunStatus",
        "StageTypeEnum": "automation.serializers.STAGE_TYPES",
    },
}

SIMPLE_JWT = {
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
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
CELERY_TASK_ROUTES = {
    "automation.run_automation_task": {"queue": "automation"},
    "automation.resume_automation_task": {"queue": "automation"},
}
CELERY_BEAT_SCHEDULE = {
    "check-scheduled-automations": {
        "task": "automation.check_scheduled_automations",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    "recover-stale-automation-runs": {
        "task": "automation.recover_stale_runs",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
}

# AI
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "") or None
AI_PROVIDER = os.environ.get("AI_PROVIDER", "openai" if OPENAI_API_KEY else "offline")
OPENAI_TIMEOUT = env_float("OPENAI_TIMEOUT", 120.0)
OPENAI_MAX_RETRIES = env_int("OPENAI_MAX_RETRIES", 3)
AI_CONCURRENCY = env_int("AI_CONCURRENCY", 4)
AI_MODELS = {
    "auto_cluster": os.environ.get("AI_MODEL_AUTO_CLUSTER", "gpt-4o-mini"),
    "generate_ideas": os.environ.get("AI_MODEL_GENERATE_IDEAS", "gpt-4o-mini"),
    "generate_content": os.environ.get("AI_MODEL_GENERATE_CONTENT", "gpt-4o"),
    "generate_image_prompts": os.environ.get("AI_MODEL_GENERATE_IMAGE_PROMPTS", "gpt-4o-mini"),
    "generate_images": os.environ.get("AI_MODEL_GENERATE_IMAGES", "dall-e-3"),
}
AI_IMAGE_SIZE = os.environ.get("AI_IMAGE_SIZE", "1024x1024")

# Automation
AUTOMATION_LOG_DIR = Path(os.environ.get("AUTOMATION_LOG_DIR", DATA_DIR / "logs" / "automation"))
AUTOMATION_LOCK_TTL = env_int("AUTOMATION_LOCK_TTL", 21600)
AUTOMATION_HEARTBEAT_SECONDS = env_float("AUTOMATION_HEARTBEAT_SECONDS", 15.0)
AUTOMATION_STALE_SECONDS = env_float("AUTOMATION_STALE_SECONDS", 300.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
