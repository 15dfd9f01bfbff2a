import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igny8.settings")

app = Celery("igny8")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # Any receiver stops Celery from installing its own text handlers: worker and beat then log
    # through Django's LOGGING, one JSON object a line like the web process.
    @setup_logging.connect
    def _use_django_logging(**kwargs):
        from logging.config import dictConfig

        from django.conf import settings

        dictConfig(settings.LOGGING)
