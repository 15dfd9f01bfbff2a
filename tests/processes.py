"""What the processes a test starts (workers, servers) need to reach the test's own database."""

from django.conf import settings


def database_url_for_processes(**query: str) -> str:
    """The test database as a DATABASE_URL, with optional query options (e.g. application_name)."""
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}"
        f"@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")
