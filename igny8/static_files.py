"""The production static files check: without `collectstatic`'s manifest, every page answers 500.

WhiteNoise's CompressedManifestStaticFilesStorage resolves each `{% static %}` through the manifest
`collectstatic` writes to STATIC_ROOT (the image runs it at build time); with DEBUG off, a name
missing from it raises, so every dashboard, admin and Swagger UI page fails. The settings cannot
refuse to load without it, since `collectstatic` itself loads them: the web process refuses to
start (`igny8.wsgi`) and `/ready/` fails instead.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

HINT = "Run `python manage.py collectstatic --noinput` first (the image does it at build time)."


def static_files_missing() -> bool:
    """True when the static files storage needs a manifest that is not there."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return False  # with DEBUG on, the storage links the files by their plain names
    return not staticfiles_storage.manifest_storage.exists(staticfiles_storage.manifest_name)


def static_files_problem() -> str | None:
    """Why the web process must not serve pages, or None when the static files are in place."""
    if not static_files_missing():
        return None
    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    return f"Static files are not collected: {manifest} is missing, so every page would answer 500. {HINT}"
