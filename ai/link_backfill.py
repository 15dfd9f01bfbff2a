"""Links for articles written before their site had an inventory (or before links existed).

Each article's candidates are embedded outside any transaction; its new HTML and links then commit
alone, only if nobody edited it meanwhile. Targets the article already links to are passed over, so
running it twice adds nothing the second time.
"""

from dataclasses import asdict, dataclass

from ai.linking import insert_links
from ai.links import CANDIDATES_PER_LINK, article_text, link_candidates, links_per_article
from tenancy.models import Site
from writer import selectors as writer_selectors
from writer import services as writer_services


@dataclass
class Backfill:
    requested: int = 0
    linked: int = 0  # articles that gained links
    links_added: int = 0
    skipped: int = 0  # published, already full, no fitting page or anchor, or edited meanwhile

    def as_dict(self) -> dict:
        return asdict(self)


def contents_add_links(*, site: Site, content_ids: list[int] | None) -> Backfill:
    """Add links to the site's articles `content_ids` (None: every article that may gain links)."""
    contents = writer_selectors.contents_ready_for_links(site=site).order_by("pk")
    if content_ids is not None:
        contents = contents.filter(pk__in=content_ids)
    max_links = links_per_article(site=site)
    result = Backfill()
    for content in contents.iterator():
        result.requested += 1
        room = max_links - len(content.links or [])
        linked = None
        if room > 0:
            candidates = link_candidates(
                site=site,
                text=article_text(title=content.title, primary_keyword=content.primary_keyword),
                limit=max_links * CANDIDATES_PER_LINK,
                content_id=content.pk,
                url=content.external_url,
            )
            linked = insert_links(
                content.content_html, candidates, max_links=room, self_url=content.external_url
            )
        if (
            linked
            and linked.links
            and writer_services.content_add_links(
                content=content, content_html=linked.html, links=linked.links
            )
        ):
            result.linked += 1
            result.links_added += len(linked.links)
        else:
            result.skipped += 1
    if content_ids is not None:
        result.skipped += len(set(content_ids)) - result.requested
        result.requested = len(set(content_ids))
    return result
