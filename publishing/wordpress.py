"""A WordPress site through its REST API (`?rest_route=`, so no pretty permalinks are needed),
authenticated with an application password (WordPress >= 5.6).

Exactly once: every post and media item we create carries a marker made from the publication's
remote key (an HTML comment in the post body, the media description); before creating one we
search for its marker, so a create that landed but was never recorded is found, not repeated.
"""

import html
import re

from igny8.outbound import OutboundClient, OutboundFailed, UrlNotAllowed
from publishing.remote import Article, Progress, RemoteError, RemoteMedia, RemotePost

LIVE_STATUSES = "publish,future,draft,pending,private"


def post_marker(key: str) -> str:
    return f"igny8-{key}-p-"


def media_marker(key: str, image_id: int) -> str:
    return f"igny8-{key}-i{image_id}-"


class WordPressClient:
    def __init__(self, *, url: str, username: str, password: str, client: OutboundClient):
        self.base, self.auth, self.http = url.rstrip("/") + "/", (username, password), client

    def call(self, method: str, route: str, *, params=None, authenticated=True, **kwargs):
        """The decoded JSON answer of `route`; raises RemoteError by kind (see publishing.remote)."""
        query = {"rest_route": route, **(params or {})}
        auth = {"auth": self.auth} if authenticated else {}
        try:
            response = self.http.request(method, self.base, params=query, **auth, **kwargs)
        except UrlNotAllowed as error:
            raise RemoteError(error.message, kind="permanent", code="url_not_allowed") from error
        except OutboundFailed as error:
            raise RemoteError(error.message, kind="retry", code=error.code) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code < 300 and body is not None:
            return body
        code = body.get("code", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else ""
        message = html.unescape(message) or f"WordPress answered {response.status_code} to {method} {route}."
        kind = "retry" if response.status_code >= 500 or response.status_code == 429 else "permanent"
        if response.status_code in (401, 403):
            kind = "auth"
        raise RemoteError(message, kind=kind, status=response.status_code, code=code)

    def get_or_none(self, route: str, **params):
        try:
            return self.call("GET", route, params=params)
        except RemoteError as error:
            if error.status in (404, 410):
                return None
            raise

    # Media ---------------------------------------------------------------------------------------

    def find_media(self, marker: str) -> dict | None:
        found = self.call("GET", "/wp/v2/media", params={"search": marker, "context": "edit", "per_page": 20})
        return next((item for item in found if marker in item["description"]["raw"]), None)

    def upload_media(self, *, data: bytes, filename: str, alt: str, title: str, marker: str) -> dict:
        # Title, alt text and the marker travel with the upload: no window where the file exists
        # without the marker that finds it again.
        params = {"title": title, "alt_text": alt, "description": f"<!-- {marker} -->"}
        headers = {"Content-Type": "image/png", "Content-Disposition": f'attachment; filename="{filename}"'}
        return self.call("POST", "/wp/v2/media", params=params, content=data, headers=headers)

    # Terms ---------------------------------------------------------------------------------------

    def term_id(self, taxonomy: str, name: str) -> int:
        """The id of the category or tag named `name`, created when missing."""
        wanted = name.strip().casefold()
        found = self.call("GET", f"/wp/v2/{taxonomy}", params={"search": name, "per_page": 100})
        for term in found:
            if html.unescape(term["name"]).strip().casefold() == wanted:
                return term["id"]
        try:
            return self.call("POST", f"/wp/v2/{taxonomy}", json={"name": name})["id"]
        except RemoteError as error:
            # Two publishes creating the same term: WordPress names the one that won.
            if error.code == "term_exists":
                return self.term_id(taxonomy, name)
            raise

    # Posts ---------------------------------------------------------------------------------------

    def find_post(self, marker: str) -> dict | None:
        params = {"search": marker, "status": LIVE_STATUSES, "context": "edit", "per_page": 20}
        found = self.call("GET", "/wp/v2/posts", params=params)
        return next((post for post in found if marker in post["content"]["raw"]), None)

    def live_post(self, post_id: str) -> dict | None:
        """The post, or None when it was deleted or trashed in WordPress."""
        post = self.get_or_none(f"/wp/v2/posts/{post_id}", context="edit")
        return post if post and post.get("status") != "trash" else None


def body_with_images(article: Article, media: dict[int, RemoteMedia], marker: str) -> str:
    """The article's HTML with its in-article images placed before its second, third… heading."""
    figures = [
        f'<figure class="wp-block-image"><img src="{html.escape(media[image.image_id].url)}" '
        f'alt="{html.escape(image.alt)}" class="wp-image-{media[image.image_id].external_id}"/></figure>'
        for image in article.images
        if not image.featured and image.image_id in media
    ]
    parts = re.split(r"(?=<h2[\s>])", article.html)
    for index, figure in enumerate(figures, start=1):
        if index < len(parts):
            parts[index] = figure + "\n" + parts[index]
        else:
            parts.append("\n" + figure)
    return "".join(parts) + f"\n<!-- {marker} -->"


def publish_to_wordpress(
    client: WordPressClient, *, article: Article, key: str, existing_id: str, progress: Progress
) -> RemotePost:
    """Upload the article's missing media, map its terms, then update its post or create it once."""
    for image in article.images:
        known = progress.media.get(image.image_id)
        if known and client.get_or_none(f"/wp/v2/media/{known.external_id}", context="edit"):
            continue
        marker = media_marker(key, image.image_id)
        progress.check()
        item = client.find_media(marker) or client.upload_media(
            data=image.read(), filename=image.filename, alt=image.alt, title=article.title, marker=marker
        )
        progress.record_media(image.image_id, RemoteMedia(str(item["id"]), item["source_url"]))
    marker = post_marker(key)
    fields = {
        "title": article.title,
        "content": body_with_images(article, progress.media, marker),
        "excerpt": article.excerpt,
        "slug": article.slug,
        "status": article.status,
        "categories": [client.term_id("categories", name) for name in article.categories],
        "tags": [client.term_id("tags", name) for name in article.tags],
    }
    if article.date_gmt:
        fields["date_gmt"] = article.date_gmt
    featured = next((image for image in article.images if image.featured), None)
    if featured and featured.image_id in progress.media:
        fields["featured_media"] = int(progress.media[featured.image_id].external_id)
    progress.check()
    post = (client.live_post(existing_id) if existing_id else None) or client.find_post(marker)
    if post:
        post = client.call("POST", f"/wp/v2/posts/{post['id']}", json=fields)
    else:
        post = client.call("POST", "/wp/v2/posts", json=fields)
    return RemotePost(str(post["id"]), post["link"])
