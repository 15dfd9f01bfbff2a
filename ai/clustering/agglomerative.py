"""Average-linkage agglomerative clustering over a sparse similarity table, in plain Python.

Average linkage (the mean similarity of every cross pair) does not chain the way single linkage
does: two topics that share one word stay apart unless most of their keywords are alike.
"""

import heapq
from collections.abc import Callable, Mapping, Sequence


def average_linkage(
    size: int,
    similarities: Mapping[tuple[int, int], float],
    threshold: float,
    *,
    tags: Sequence[frozenset[str]] | None = None,
    conflict: Callable[[frozenset[str], frozenset[str]], bool] | None = None,
) -> list[list[int]]:
    """Groups of the indices `0..size-1`: clusters merge while their mean pair similarity ≥ `threshold`.

    `similarities` holds pairs `(i, j)` with `i < j`; a missing pair counts as 0. Ties merge the
    earliest pair first, so the result depends only on the input. With `tags` (one set per index)
    and `conflict`, two clusters whose tag sets conflict never merge (a cannot-link constraint).
    """
    members: dict[int, list[int]] = {index: [index] for index in range(size)}
    cluster_tags: dict[int, frozenset[str]] = {
        index: (tags[index] if tags is not None else frozenset()) for index in range(size)
    }
    totals: dict[int, dict[int, float]] = {index: {} for index in range(size)}
    heap: list[tuple[float, int, int]] = []
    for (left, right), value in similarities.items():
        if value <= 0:
            continue
        totals[left][right] = totals[right][left] = value
        if value >= threshold:
            heap.append((-value, left, right))
    heapq.heapify(heap)
    next_id = size
    while heap:
        _, left, right = heapq.heappop(heap)
        if left not in members or right not in members:
            continue  # one side merged since this entry was pushed
        if conflict is not None and conflict(cluster_tags[left], cluster_tags[right]):
            continue
        merged_id, next_id = next_id, next_id + 1
        members[merged_id] = members.pop(left) + members.pop(right)
        cluster_tags[merged_id] = cluster_tags.pop(left) | cluster_tags.pop(right)
        left_totals, right_totals = totals.pop(left), totals.pop(right)
        merged_totals: dict[int, float] = {}
        for other in (left_totals.keys() | right_totals.keys()) - {left, right}:
            total = left_totals.get(other, 0.0) + right_totals.get(other, 0.0)
            merged_totals[other] = total
            other_totals = totals[other]
            other_totals.pop(left, None)
            other_totals.pop(right, None)
            other_totals[merged_id] = total
            mean = total / (len(members[merged_id]) * len(members[other]))
            if mean >= threshold:
                heapq.heappush(heap, (-mean, other, merged_id))
        totals[merged_id] = merged_totals
    return sorted((sorted(group) for group in members.values()), key=lambda group: group[0])
