"""A real WordPress (Debian's package on PHP's built-in server, see scripts/ensure_wordpress.sh) and
articles with generated images, for the publishing tests."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ai.offline import placeholder_png
from publishing.services import destination_create
from writer.models import ContentStatus, Image
from writer.services import contents_bulk_update_status, image_prompts_create, image_store

ROOT = Path(__file__).resolve().parents[2]
MISSING_PACKAGES = "Debian's wordpress, php-cli, php-mysql and mariadb-server are not installed"


@dataclass
class WordPress:
    url: str
    users: dict

    def password(self, role: str = "admin") -> str:
        return self.users[role]["password"]

    def username(self, role: str = "admin") -> str:
        return self.users[role]["username"]

    def get(self, route: str, **params):
        """A REST read as an administrator, independent of the code under test."""
        response = httpx.get(
            self.url + "/",
            params={"rest_route": route, "context": "edit", **params},
            auth=(self.username(), self.password()),
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def posts_with(self, marker: str) -> list[dict]:
        statuses = "publish,future,draft,pending,private,trash"
        return [
            post
            for post in self.get("/wp/v2/posts", search=marker, status=statuses, per_page=100)
            if marker in post["content"]["raw"]
        ]

    def media_with(self, marker: str) -> list[dict]:
        found = self.get("/wp/v2/media", search=marker, per_page=100)
        return [item for item in found if marker in item["description"]["raw"]]

    def term_names(self, taxonomy: str, ids: list[int]) -> set[str]:
        if not ids:
            return set()
        found = self.get(f"/wp/v2/{taxonomy}", include=",".join(map(str, ids)), per_page=100)
        return {term["name"] for term in found}


@pytest.fixture(scope="session")
def wordpress() -> WordPress:
    if not (shutil.which("php") and shutil.which("mariadbd") and Path("/usr/share/wordpress").exists()):
        pytest.skip(f"{MISSING_PACKAGES} (apt-get install wordpress php-cli php-mysql mariadb-server)")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure_wordpress.sh")], capture_output=True, text=True, timeout=180
    )
    credentials = ROOT / "var" / "wordpress" / "credentials.json"
    if result.returncode != 0 or not credentials.exists():
        raise RuntimeError(f"the test WordPress did not start:\n{result.stdout}\n{result.stderr}")
    data = json.loads(credentials.read_text())
    return WordPress(url=data["url"], users={k: v for k, v in data.items() if k != "url"})


def make_reviewed_article(
    *, site, title: str, in_article: int = 2, tags=("trail", "gear"), categories=("Running",)
):
    """An article in review with a featured and `in_article` generated images, tags and categories."""
    from tests.factories import make_content

    content = make_content(site=site, title=title)
    sections = "".join(f"<h2>Part {n}</h2><p>Paragraph {n} of {title}.</p>" for n in range(1, in_article + 2))
    content.content_html = f"<p>Intro to {title}.</p>{sections}"
    content.meta_description = f"All about {title}."
    content.tags, content.categories = list(tags), list(categories)
    content.save()
    prompts = [f"Featured photo for {title}. Wide."] + [f"Picture {n} of {title}" for n in range(in_article)]
    for image in image_prompts_create(content=content, prompts=prompts):
        image_store(image=image, png=placeholder_png(image.prompt, width=64, height=48))
    contents_bulk_update_status(site=site, ids=[content.pk], status=ContentStatus.REVIEW)
    content.refresh_from_db()
    assert Image.objects.filter(content=content).count() == in_article + 1
    return content


def wordpress_destination(
    *, site, wordpress: WordPress, role: str = "admin", url: str | None = None, **fields
):
    return destination_create(
        site=site,
        kind="wordpress",
        url=url or wordpress.url,
        username=wordpress.username(role),
        secret=wordpress.password(role),
        **fields,
    )


# The real Celery worker subprocess of the integration tests, for the publishing ones.
from tests.integration.conftest import empty_broker, start_worker  # noqa: E402, F401

# Quick leases, back-offs and time-outs, so recoveries happen in seconds.
PUBLISHING_WORKER_ENV = {
    "PUBLISHING_LEASE_SECONDS": "2",
    "PUBLISHING_RETRY_BASE_SECONDS": "0.3",
    "PUBLISHING_RETRY_MAX_SECONDS": "2",
    "PUBLISHING_MAX_ATTEMPTS": "30",
    "OUTBOUND_TIMEOUT": "8",
}
