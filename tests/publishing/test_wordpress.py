"""Publishing to a real WordPress, in the test's process: what arrives, updates, reconciliation."""

import uuid

import pytest
from django.utils import timezone
from django.utils.text import slugify

from publishing.models import Destination, Publication, PublishedImage
from publishing.publisher import publish_content
from publishing.services import contents_publish, destination_update
from publishing.wordpress import media_marker, post_marker
from tests.publishing.conftest import make_reviewed_article, wordpress_destination
from writer.models import ContentStatus, SiteStatus
from writer.services import content_update

pytestmark = pytest.mark.django_db


def publish_now(content) -> str:
    contents_publish(site=content.site, ids=[content.pk], when=timezone.now())
    return publish_content(content_id=content.pk).status


def markers(content):
    key = Publication.objects.get(content=content).remote_key
    return post_marker(key), [media_marker(key, image.pk) for image in content.images.all()]


def test_an_article_arrives_once_with_its_images_terms_and_meta(tenant, wordpress):
    wordpress_destination(site=tenant.site, wordpress=wordpress)
    # WordPress keeps the posts of earlier sessions: a title of this session's own keeps the slug free.
    title = f"Trail shoes for wet rock {uuid.uuid4().hex[:8]}"
    content = make_reviewed_article(site=tenant.site, title=title)

    assert publish_now(content) == "published"

    content.refresh_from_db()
    assert (content.status, content.site_status, content.publish_error) == ("published", "published", "")
    post_key, media_keys = markers(content)
    (post,) = wordpress.posts_with(post_key)
    assert str(post["id"]) == content.external_id and post["link"] == content.external_url
    assert post["title"]["raw"] == title
    assert post["slug"] == slugify(title)
    assert post["excerpt"]["raw"] == f"All about {title}."
    assert post["status"] == "draft"
    assert wordpress.term_names("tags", post["tags"]) == {"trail", "gear"}
    assert wordpress.term_names("categories", post["categories"]) == {"Running"}
    media = [wordpress.media_with(key) for key in media_keys]
    assert [len(found) for found in media] == [1, 1, 1]
    featured, *in_body = (found[0] for found in media)
    assert post["featured_media"] == featured["id"]
    assert featured["alt_text"] == f"Featured photo for {title}"
    for item in in_body:
        assert item["source_url"] in post["content"]["raw"]
        assert f'alt="{item["alt_text"]}"' in post["content"]["raw"]


def test_publishing_again_after_an_edit_updates_the_same_post(tenant, wordpress):
    wordpress_destination(site=tenant.site, wordpress=wordpress)
    content = make_reviewed_article(site=tenant.site, title="Cold brew ratios")
    publish_now(content)
    first_id = type(content).objects.get(pk=content.pk).external_id

    content_update(content=content, fields={"title": "Cold brew ratios, revised"})
    assert publish_now(content) == "published"

    content.refresh_from_db()
    post_key, media_keys = markers(content)
    (post,) = wordpress.posts_with(post_key)
    assert content.external_id == first_id == str(post["id"])
    assert post["title"]["raw"] == "Cold brew ratios, revised"
    assert [len(wordpress.media_with(key)) for key in media_keys] == [1, 1, 1]


def test_a_post_deleted_in_wordpress_is_detected_and_made_again(tenant, wordpress):
    wordpress_destination(site=tenant.site, wordpress=wordpress)
    content = make_reviewed_article(site=tenant.site, title="Grinder settings")
    publish_now(content)
    content.refresh_from_db()
    deleted = wordpress_delete(wordpress, f"/wp/v2/posts/{content.external_id}")
    assert deleted["deleted"] is True

    assert publish_now(content) == "published"

    content.refresh_from_db()
    post_key, _ = markers(content)
    (post,) = wordpress.posts_with(post_key)
    assert str(post["id"]) == content.external_id != str(deleted["previous"]["id"])


def test_a_publish_that_landed_but_was_never_recorded_is_found_not_repeated(tenant, wordpress):
    # As if the worker died after WordPress's answers and before our commits: nothing recorded.
    wordpress_destination(site=tenant.site, wordpress=wordpress)
    content = make_reviewed_article(site=tenant.site, title="Pour-over basics")
    publish_now(content)
    PublishedImage.objects.all().delete()
    type(content).objects.filter(pk=content.pk).update(external_id="", external_url="")

    assert publish_now(content) == "published"

    post_key, media_keys = markers(content)
    assert len(wordpress.posts_with(post_key)) == 1
    assert [len(wordpress.media_with(key)) for key in media_keys] == [1, 1, 1]


def test_a_wrong_password_breaks_the_destination_keeps_the_article_and_a_fix_resumes(tenant, wordpress):
    destination = wordpress_destination(site=tenant.site, wordpress=wordpress)
    destination_update(destination=destination, fields={"secret": "wrong password here"})
    content = make_reviewed_article(site=tenant.site, title="Espresso tamping")

    assert publish_now(content) == "held"

    destination.refresh_from_db()
    content.refresh_from_db()
    assert destination.status == "broken" and destination.last_error
    assert (content.site_status, content.status) == (SiteStatus.SCHEDULED, ContentStatus.APPROVED)
    assert publish_content(content_id=content.pk).status == "skipped"  # the site's queue waits

    destination_update(destination=destination, fields={"secret": wordpress.password()})
    assert publish_content(content_id=content.pk).status == "published"
    assert Destination.objects.get(pk=destination.pk).status == "ok"


def wordpress_delete(wordpress, route: str) -> dict:
    import httpx

    response = httpx.delete(
        wordpress.url + "/",
        params={"rest_route": route, "force": "true"},
        auth=(wordpress.username(), wordpress.password()),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()
