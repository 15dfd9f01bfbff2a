"""Test settings: real PostgreSQL and Redis on loopback unless the environment says otherwise."""

import os
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/igny8")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# The broker on its own database, so clearing the cache between tests never drops queued tasks.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-hs256")
os.environ.setdefault("CACHE_KEY_PREFIX", "igny8-test")
# A key of the tests' own (production mode refuses the published development key).
os.environ.setdefault("SECRETS_ENCRYPTION_KEYS", "dGVzdHMtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE=")
# The tests' WordPress, webhook receivers and fault proxies listen on loopback.
os.environ.setdefault("ALLOW_PRIVATE_URLS", "1")
os.environ.setdefault("INVENTORY_FETCH_DELAY", "0.005")
_scratch = os.environ.setdefault("IGNY8_TEST_DIR", tempfile.mkdtemp(prefix="igny8-test-"))
os.environ.setdefault("AUTOMATION_LOG_DIR", os.path.join(_scratch, "logs"))
os.environ.setdefault("MEDIA_ROOT", os.path.join(_scratch, "media"))
os.environ.setdefault("AI_PROVIDER", "offline")
os.environ.setdefault("STATIC_ROOT", os.path.join(_scratch, "static"))
os.makedirs(os.environ["STATIC_ROOT"], exist_ok=True)

from igny8.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests do not run collectstatic: serve the apps' files by their plain names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
