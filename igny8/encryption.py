"""Secrets at rest (destination passwords, webhook secrets): Fernet tokens under keys from the env.

`SECRETS_ENCRYPTION_KEYS` is a comma-separated list of Fernet keys: the first encrypts, every one
decrypts, so a key is rotated by putting a new one first, running `manage.py rotate_secrets`, then
dropping the old one. The embedded default and the tests use a published development key;
production refuses to start without keys of its own (settings call `encryption_keys_problem`).
This module imports nothing of Django at load time: the settings use it.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Published with the project: it protects nothing, so production refuses it.
DEVELOPMENT_KEY = "aWdueTgtZW1iZWRkZWQtZGVmYXVsdC1vbmx5LWtleSE="
GENERATE_HINT = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def parse_keys(raw: str) -> list[str]:
    return [key.strip() for key in raw.split(",") if key.strip()]


def encryption_keys_problem(raw: str, *, production: bool) -> str | None:
    """Why `raw` cannot be SECRETS_ENCRYPTION_KEYS, or None when it can."""
    keys = parse_keys(raw)
    if not keys:
        return (
            "SECRETS_ENCRYPTION_KEYS is not set. It is required whenever DATABASE_URL is set "
            "(production mode): it encrypts the publishing destinations' passwords at rest."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return f"SECRETS_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64 bytes)."
    if production and DEVELOPMENT_KEY in keys[:1]:
        return "SECRETS_ENCRYPTION_KEYS starts with the published development key; anyone could decrypt."
    return None


class SecretUnreadable(Exception):
    """A stored secret was encrypted under a key that is no longer configured."""


@functools.lru_cache(maxsize=4)
def _fernet(raw: str) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in parse_keys(raw)])


def _configured() -> MultiFernet:
    from django.conf import settings

    return _fernet(settings.SECRETS_ENCRYPTION_KEYS)


def encrypt_secret(plain: str) -> str:
    return _configured().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The plain secret; raises SecretUnreadable when no configured key opens it."""
    try:
        return _configured().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured keys.") from error


def reencrypt_secret(token: str) -> str:
    """The same secret under the first (current) key; raises SecretUnreadable."""
    try:
        return _configured().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The stored secret cannot be decrypted with the configured keys.") from error
