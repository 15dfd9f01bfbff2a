from django.apps import AppConfig


class WriterConfig(AppConfig):
    name = "writer"
