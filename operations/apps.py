from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health, readiness and metrics for operators; no models."""

    name = "operations"

    def ready(self):
        from operations import signals  # noqa: F401 - connects the Celery signal receivers
