"""The embedded default (no environment at all): SQLite, locmem cache, eager Celery, offline AI."""

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ai.clustering import semantic

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
from django.conf import settings
from django.db import connection
from django.test import Client
from igny8.celery import app
assert connection.vendor == "sqlite", connection.vendor
assert "locmem" in settings.CACHES["default"]["BACKEND"]
assert app.conf.task_always_eager is True
assert settings.AI_PROVIDER == "offline" and settings.DEBUG is True
response = Client(HTTP_HOST="localhost").post(
    "/api/v1/auth/register/",
    {"email": "smoke@example.com", "password": "smoke-password-1", "account_name": "Smoke"},
    content_type="application/json",
)
assert response.status_code == 201, response.content
print("embedded-ok")
"""


def clean_env(tmp_path, **extra) -> dict:
    names = {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "AI_PROVIDER",
        "OPENAI_API_KEY",
        "DEBUG",
    }
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in names and not name.startswith(("AUTOMATION_", "MEDIA_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="igny8.settings", DATA_DIR=str(tmp_path), **extra)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.embedded
def test_embedded_default_migrates_and_serves_the_api(tmp_path):
    env = clean_env(tmp_path)
    migrate = manage("migrate", "-v0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "igny8.sqlite3").exists()
    probe = manage("shell", "-c", PROBE, env=env)
    assert probe.returncode == 0, probe.stderr
    assert "embedded-ok" in probe.stdout
    seeded = manage("seed_demo_account", env=env)
    assert seeded.returncode == 0 and "Login: demo@example.com" in seeded.stdout


def test_production_mode_without_secret_key_fails_at_start(tmp_path):
    env = clean_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/igny8")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.embedded
def test_demo_runs_the_whole_pipeline_on_the_embedded_default(tmp_path):
    env = clean_env(tmp_path)
    assert manage("migrate", "-v0", env=env).returncode == 0
    demo = manage("demo", env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert ": completed, stage 7" in demo.stdout
    expected = "semantic" if semantic.is_available() else "lexical"
    assert f"Keyword clustering: {expected}" in demo.stdout
    assert "ready_for_review=" in demo.stdout and "images_failed=0" in demo.stdout
    articles = list((tmp_path / "demo" / "site_1").glob("*.html"))
    assert articles and "<h2>" in articles[0].read_text()
    assert list((tmp_path / "media" / "images" / "site_1").rglob("*.png"))
    assert list((tmp_path / "logs" / "automation").rglob("run_trace.jsonl"))
    # SQLite charges with three statements (PostgreSQL with one): each deduction has its usage row.
    with contextlib.closing(sqlite3.connect(tmp_path / "igny8.sqlite3")) as database:
        ((deductions, debited),) = database.execute(
            "SELECT count(*), -sum(amount) FROM billing_credittransaction"
            " WHERE transaction_type = 'deduction'"
        )
        ((usages, used),) = database.execute(
            "SELECT count(*), sum(u.credits_used) FROM billing_creditusagelog u"
            " JOIN billing_credittransaction t ON t.id = u.transaction_id"
        )
    assert deductions == usages > 0 and debited == used > 0
