"""The start-up check of the AI engine's settings: every AI function has a model.

Without one the engine would call the provider with model "" and every call would fail at run time;
the app refuses to load instead (in every process: web, worker, beat and management commands, as
the missing SECRET_KEY is refused), since Django's system checks never run under gunicorn or Celery.
"""

from django.conf import settings

from ai.functions import FUNCTIONS

# Models the engine asks for besides the functions' own: the `openai` provider's keyword embeddings.
OTHER_MODELS = ("embeddings",)


def model_setting_problems() -> list[str]:
    """One sentence for each AI function (or other model use) whose AI_MODELS entry is missing or blank."""
    problems = []
    for name in (*FUNCTIONS, *OTHER_MODELS):
        model = settings.AI_MODELS.get(name)
        if not isinstance(model, str) or not model.strip():
            problems.append(
                f"AI_MODELS has no model for '{name}': set AI_MODEL_{name.upper()} "
                f"or add '{name}' to AI_MODELS in igny8/settings.py."
            )
    return problems
