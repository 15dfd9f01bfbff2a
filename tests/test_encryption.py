"""Secrets at rest: Fernet under keys from the environment, with rotation; production needs its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from igny8.encryption import (
    DEVELOPMENT_KEY,
    SecretUnreadable,
    decrypt_secret,
    encrypt_secret,
    encryption_keys_problem,
    reencrypt_secret,
)

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    token = encrypt_secret("abcd efgh ijkl mnop")
    assert "abcd" not in token
    assert decrypt_secret(token) == "abcd efgh ijkl mnop"


def test_rotation_the_first_key_encrypts_and_every_key_decrypts(settings):
    settings.SECRETS_ENCRYPTION_KEYS = OLD
    token = encrypt_secret("app password")
    settings.SECRETS_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    assert decrypt_secret(token) == "app password"
    rotated = reencrypt_secret(token)
    settings.SECRETS_ENCRYPTION_KEYS = NEW
    assert decrypt_secret(rotated) == "app password"
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)


@pytest.mark.parametrize(
    ("raw", "production", "says"),
    [
        ("", True, "not set"),
        (" , ", True, "not set"),
        ("not-a-key", True, "key 1 is not a Fernet key"),
        (f"{NEW},short", True, "key 2 is not a Fernet key"),
        (DEVELOPMENT_KEY, True, "published development key"),
    ],
)
def test_unusable_keys_are_named(raw, production, says):
    assert says in encryption_keys_problem(raw, production=production)


def test_good_keys_and_the_development_key_outside_production_are_accepted():
    assert encryption_keys_problem(f"{NEW},{OLD}", production=True) is None
    assert encryption_keys_problem(DEVELOPMENT_KEY, production=False) is None


def test_production_start_up_refuses_missing_keys_and_says_how_to_make_one():
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    environment.update(SECRETS_ENCRYPTION_KEYS="", SECRET_KEY=Fernet.generate_key().decode() * 2)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRETS_ENCRYPTION_KEYS is not set" in result.stderr
    assert "Fernet.generate_key()" in result.stderr
