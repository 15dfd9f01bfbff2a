from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI engine"

    def ready(self):
        from ai.checks import model_setting_problems

        if problems := model_setting_problems():
            raise ImproperlyConfigured(" ".join(problems))
