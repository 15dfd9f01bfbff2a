"""What a destination client receives and how it fails: shared by the WordPress and webhook clients."""

from collections.abc import Callable
from dataclasses import dataclass, field


class RemoteError(Exception):
    """A destination refused or failed a call.

    `kind` decides what the publish does next: `auth` (401/403: the destination is marked broken
    and the site's queue waits for a fix), `retry` (5xx, time-outs, unreachable: back off and try
    again) or `permanent` (any other refusal: the article fails with the reason).
    """

    def __init__(self, message: str, *, kind: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.message, self.kind, self.status, self.code = message, kind, status, code


@dataclass(frozen=True)
class ArticleImage:
    image_id: int
    featured: bool
    filename: str
    alt: str
    local_url: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Article:
    content_id: int
    title: str
    slug: str
    html: str
    excerpt: str
    meta_title: str
    status: str
    date_gmt: str | None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    images: tuple[ArticleImage, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteMedia:
    external_id: str
    url: str


@dataclass(frozen=True)
class RemotePost:
    external_id: str
    url: str


class Progress:
    """How a client reports what it made before the post exists, and learns it may go on.

    `media` maps image ids to the media already recorded for this destination; `record_media`
    stores a new one at once (a crash after it cannot upload it twice); `check` raises when the
    worker's claim was taken over, before anything is created remotely.
    """

    def __init__(self, *, media: dict[int, RemoteMedia], record_media, check):
        self.media, self._record, self.check = media, record_media, check

    def record_media(self, image_id: int, media: RemoteMedia) -> None:
        self._record(image_id, media)
        self.media[image_id] = media
