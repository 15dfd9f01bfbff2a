"""The production SECRET_KEY check: it signs every JWT and session, so a guessable one is a master key."""

EMBEDDED_DEMO_KEY = "embedded-default-insecure-key-for-local-demo-only"
# Keys that were ever published with the project (compose file, docs, examples) are known to everyone.
KNOWN_KEYS = frozenset(
    {
        EMBEDDED_DEMO_KEY,
        "change-me-in-production",
        "change-me",
        "replace-me-with-the-output-of-the-command-above",
    }
)
MIN_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 10
GENERATE_HINT = "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key_problem(key: str) -> str | None:
    """Why `key` must not sign production tokens, or None when it is acceptable."""
    if not key.strip():
        return "SECRET_KEY is not set. It is required whenever DATABASE_URL is set (production mode)."
    if key in KNOWN_KEYS or key.startswith("django-insecure-"):
        return "SECRET_KEY is a published placeholder or demo key, so anyone can forge tokens with it."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY is {len(key)} characters long; it must have at least {MIN_LENGTH}."
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return (
            f"SECRET_KEY uses only {len(set(key))} distinct characters; "
            f"it must have at least {MIN_DISTINCT_CHARACTERS}."
        )
    return None
