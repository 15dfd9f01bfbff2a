"""Similarity-aware ordering and batching: keep a topic inside one AI call instead of across several.

Stage 1 sends keywords to the model a batch at a time; cut in id order, one topic lands in several
calls and each call invents its own cluster for it. Grouping first, then packing whole groups into
batches, puts a topic's keywords in front of the model together.
"""

from collections.abc import Sequence

from ai.clustering import lexical, semantic

# Looser than the clustering threshold: here a group only has to stay in one batch, and the model
# still decides the clusters.
VECTOR_THRESHOLD = 0.30


def _groups(texts: Sequence[str], vectors: Sequence[Sequence[float]] | None) -> list[list[int]]:
    texts = list(texts)
    if vectors is not None:
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} keywords.")
        return semantic.cluster_vectors(vectors, threshold=VECTOR_THRESHOLD, texts=texts)
    if semantic.is_available():
        return semantic.cluster_vectors(
            semantic.encoder().encode(texts), threshold=VECTOR_THRESHOLD, texts=texts
        )
    return lexical.cluster(texts)


def order_by_similarity(texts: Sequence[str], vectors: Sequence[Sequence[float]] | None = None) -> list[int]:
    """Indices of `texts` with alike keywords next to each other: largest groups first, then by position.

    `vectors` are embeddings of `texts` (for instance from the provider's embeddings endpoint); without
    them the local model is used when the `semantic` extra is installed, else lexical similarity.
    """
    groups = sorted(_groups(texts, vectors), key=lambda group: (-len(group), group[0]))
    return [index for group in groups for index in group]


def similarity_batches(
    texts: Sequence[str], batch_size: int, vectors: Sequence[Sequence[float]] | None = None
) -> list[list[int]]:
    """Batches of indices of `texts`, at most `batch_size` each, that split as few groups as possible.

    Groups larger than a batch fill whole batches; the rest are packed first-fit, largest first, so a
    group is split only when it alone is larger than a batch. The batches come out in the order of
    their first group, every index exactly once.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    batches: list[list[int]] = []
    pieces: list[list[int]] = []
    for group in sorted(_groups(texts, vectors), key=lambda group: (-len(group), group[0])):
        while len(group) >= batch_size:
            batches.append(group[:batch_size])
            group = group[batch_size:]
        if group:
            pieces.append(group)
    open_batches: list[list[int]] = []
    for piece in pieces:
        target = next((b for b in open_batches if len(b) + len(piece) <= batch_size), None)
        if target is None:
            open_batches.append(list(piece))
        else:
            target.extend(piece)
    return batches + open_batches
