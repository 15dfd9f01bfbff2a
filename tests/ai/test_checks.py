"""A function without a model refuses to start, instead of calling the provider with model ""."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ai.checks import model_setting_problems
from ai.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_ai_function_has_a_model_in_the_settings(settings):
    assert set(FUNCTIONS) <= set(settings.AI_MODELS)
    assert model_setting_problems() == []


def test_a_function_missing_from_ai_models_is_named_with_its_setting(settings):
    settings.AI_MODELS = {name: m for name, m in settings.AI_MODELS.items() if name != "generate_ideas"}
    [problem] = model_setting_problems()
    assert "'generate_ideas'" in problem and "AI_MODEL_GENERATE_IDEAS" in problem


@pytest.mark.parametrize("model", ["", "  ", None])
def test_a_blank_model_is_named_with_its_setting(settings, model):
    settings.AI_MODELS = {**settings.AI_MODELS, "generate_content": model}
    [problem] = model_setting_problems()
    assert "'generate_content'" in problem and "AI_MODEL_GENERATE_CONTENT" in problem


def test_a_process_refuses_to_start_when_a_functions_model_is_blank():
    env = {**os.environ, "AI_MODEL_GENERATE_CONTENT": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "AI_MODEL_GENERATE_CONTENT" in result.stderr
