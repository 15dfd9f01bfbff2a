"""The signed webhook destination, for every CMS without a WordPress REST API.

The body is JSON: `{id, type, created_at, account, site, data}` with the article and its image URLs
in `data`. `X-IGNY8-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
destination's secret proves the sender and the time; `Idempotency-Key` is the same for every retry
of one publish, so a receiver that keeps the keys it has seen applies each publish once.
"""

import hashlib
import hmac
import json
import time
import uuid

from django.utils import timezone

from igny8.outbound import OutboundClient, OutboundFailed, UrlNotAllowed
from publishing.remote import Article, RemoteError, RemotePost

SIGNATURE_HEADER = "X-IGNY8-Signature"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_is_valid(*, secret: str, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    """The receiver's check (documented in docs/PUBLISHING.md): right secret, recent enough."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or abs(now - int(parts["t"])) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=int(parts["t"]), body=body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def deliver(
    client: OutboundClient, *, url: str, secret: str, event_type: str, idempotency_key: str, envelope: dict
) -> dict:
    """POST one signed event; returns the receiver's JSON answer (or {}); raises RemoteError."""
    body = json.dumps(
        {"id": idempotency_key, "type": event_type, "created_at": timezone.now().isoformat(), **envelope},
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret=secret, timestamp=int(time.time()), body=body),
        "Idempotency-Key": idempotency_key,
    }
    try:
        response = client.request("POST", url, content=body, headers=headers)
    except UrlNotAllowed as error:
        raise RemoteError(error.message, kind="permanent", code="url_not_allowed") from error
    except OutboundFailed as error:
        raise RemoteError(error.message, kind="retry", code=error.code) from error
    if response.status_code in (401, 403):
        raise RemoteError(f"The receiver refused the signature ({response.status_code}).", kind="auth")
    if response.status_code >= 500 or response.status_code == 429:
        raise RemoteError(f"The receiver answered {response.status_code}.", kind="retry")
    if response.status_code >= 300:
        raise RemoteError(f"The receiver answered {response.status_code}.", kind="permanent")
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def article_data(article: Article) -> dict:
    return {
        "content_id": article.content_id,
        "title": article.title,
        "slug": article.slug,
        "html": article.html,
        "excerpt": article.excerpt,
        "meta_title": article.meta_title,
        "meta_description": article.excerpt,
        "status": article.status,
        "date_gmt": article.date_gmt,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "images": [
            {"id": image.image_id, "featured": image.featured, "url": image.local_url, "alt": image.alt}
            for image in article.images
        ],
    }


def publish_to_webhook(
    client: OutboundClient, *, url: str, secret: str, article: Article, key: str, envelope: dict
) -> RemotePost:
    answer = deliver(
        client,
        url=url,
        secret=secret,
        event_type="content.published",
        idempotency_key=key,
        envelope={**envelope, "data": article_data(article)},
    )
    return RemotePost(str(answer.get("id") or key)[:64], str(answer.get("url") or "")[:1000])


def ping(client: OutboundClient, *, url: str, secret: str, envelope: dict) -> None:
    deliver(
        client,
        url=url,
        secret=secret,
        event_type="ping",
        idempotency_key=f"ping-{uuid.uuid4().hex}",
        envelope={**envelope, "data": {}},
    )
