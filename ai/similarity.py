"""Keywords reordered so alike ones sit together, for cutting clustering batches."""

from ai import clustering
from ai.embeddings import embed_texts
from ai.providers import get_provider
from tenancy.models import Site


def keywords_in_similarity_order(
    keywords: list, *, site: Site, automation_run_id: str = "", stage: int | None = None
) -> list:
    """`keywords` reordered so alike ones sit next to each other, for cutting clustering batches.

    With the openai provider the vectors are its embeddings (`ai.embeddings`, which falls back to the
    local model when that call fails); offline, the ordering itself picks the local model or lexical
    similarity.
    """
    if len(keywords) < 2:
        return list(keywords)
    texts = [keyword.keyword for keyword in keywords]
    if get_provider().name == "offline":
        return [keywords[index] for index in clustering.order_by_similarity(texts)]
    vectors = embed_texts(
        texts,
        site=site,
        function="embed_keywords",
        items=[keyword.pk for keyword in keywords],
        automation_run_id=automation_run_id,
        stage=stage,
    ).vectors
    return [keywords[index] for index in clustering.order_by_similarity(texts, vectors)]
