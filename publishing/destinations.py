"""From a destination row to its client: the article as sent, the publish, and verification."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.text import slugify

from igny8.encryption import decrypt_secret
from igny8.outbound import OutboundClient
from publishing.models import Destination, DestinationKind, PostStatus, Publication
from publishing.remote import Article, ArticleImage, Progress, RemotePost
from publishing.webhook import publish_to_webhook
from publishing.wordpress import WordPressClient, publish_to_wordpress
from writer.article_html import alt_text
from writer.models import Content, ImageStatus


def absolute_media_url(url: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + url if url.startswith("/") and settings.PUBLIC_URL else url


def article_for(content: Content, destination: Destination) -> Article:
    images = [image for image in content.images.all() if image.status == ImageStatus.GENERATED]
    base = slugify(content.title)[:80] or f"article-{content.pk}"
    return Article(
        content_id=content.pk,
        title=content.title,
        slug=slugify(content.meta_title or content.title)[:190] or base,
        html=content.content_html,
        excerpt=content.meta_description,
        meta_title=content.meta_title,
        status=destination.post_status,
        date_gmt=(
            content.scheduled_publish_at.strftime("%Y-%m-%dT%H:%M:%S")
            if destination.post_status == PostStatus.FUTURE and content.scheduled_publish_at
            else None
        ),
        categories=tuple(dict.fromkeys(name for name in content.categories if name.strip())),
        tags=tuple(dict.fromkeys(name for name in content.tags if name.strip())),
        images=tuple(
            ArticleImage(
                image_id=image.pk,
                featured=image.image_type == "featured",
                filename=f"{base}-{image.position + 1}.png",
                alt=alt_text(image.prompt),
                local_url=absolute_media_url(image.image_url),
                read=lambda path=image.image_path: default_storage.open(path, "rb").read(),
            )
            for image in images
        ),
    )


def wordpress_client(destination: Destination, http: OutboundClient) -> WordPressClient:
    return WordPressClient(
        url=destination.url,
        username=destination.username,
        password=decrypt_secret(destination.secret_encrypted),
        client=http,
    )


def publish_remotely(*, claim, progress: Progress) -> RemotePost:
    """Send the claimed article to its destination; raises RemoteError, SecretUnreadable."""
    content = Content.objects.prefetch_related("images").get(pk=claim.content_id)
    destination = Destination.objects.get(pk=claim.destination_id)
    publication = Publication.objects.get(pk=claim.publication_id)
    article = article_for(content, destination)
    with OutboundClient() as http:
        if destination.kind == DestinationKind.WORDPRESS:
            return publish_to_wordpress(
                wordpress_client(destination, http),
                article=article,
                key=publication.remote_key,
                existing_id=content.external_id,
                progress=progress,
            )
        progress.check()
        return publish_to_webhook(
            http,
            url=destination.url,
            secret=decrypt_secret(destination.secret_encrypted),
            article=article,
            key=f"igny8-{publication.remote_key}-{publication.publish_count + 1}",
            envelope={"account": content.account_id, "site": content.site_id},
        )
