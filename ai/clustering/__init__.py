"""Keyword clustering for keyless runs, and similarity-aware ordering of keywords for any provider.

Plain Python, no Django: `lexical` needs only the standard library; `semantic` runs when the
`semantic` extra is installed. `OFFLINE_CLUSTERING=semantic|lexical` chooses; by default semantic
is used when it is available. See docs/CLUSTERING.md for the measured quality of each.
"""

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ai.clustering import lexical, naming, semantic
from ai.clustering.ordering import order_by_similarity, similarity_batches

__all__ = [
    "Group",
    "available_methods",
    "cluster_keywords",
    "clustering_method_name",
    "order_by_similarity",
    "similarity_batches",
]

logger = logging.getLogger(__name__)
METHODS = ("semantic", "lexical")


@dataclass
class Group:
    name: str
    keywords: list[str]
    description: str = field(default="")

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "keywords": list(self.keywords)}


def available_methods() -> list[str]:
    return [method for method in METHODS if method != "semantic" or semantic.is_available()]


def clustering_method_name() -> str:
    """The method `cluster_keywords` uses: `OFFLINE_CLUSTERING` if it can run, else the best available."""
    wanted = os.environ.get("OFFLINE_CLUSTERING", "").strip().lower()
    if wanted and wanted not in METHODS:
        raise ValueError(f"Unknown OFFLINE_CLUSTERING '{wanted}' (use 'semantic' or 'lexical').")
    available = available_methods()
    if wanted == "semantic" and "semantic" not in available:
        logger.warning('OFFLINE_CLUSTERING=semantic but the extra is missing (pip install ".[semantic]")')
    return wanted if wanted in available else available[0]


def _numbered(name: str, taken: dict) -> str:
    number = 2
    while f"{name} {number}".lower() in taken:
        number += 1
    return f"{name} {number}"


def cluster_keywords(
    texts: list[str], existing: Sequence[str] = (), *, method: str | None = None
) -> list[Group]:
    """Every keyword in exactly one group, largest groups first, each named after its head term.

    A group whose head term an existing cluster name covers takes that name, so the caller files its
    keywords under the cluster that is already there; groups that end up with one name are merged.
    """
    method = method or clustering_method_name()
    texts = list(dict.fromkeys(texts))
    indices = semantic.cluster(texts) if method == "semantic" else lexical.cluster(texts)
    groups = sorted(([texts[i] for i in group] for group in indices), key=lambda g: (-len(g), g[0]))
    existing = list(existing)
    taken: dict[str, Group] = {}
    for keywords in groups:
        candidates = naming.head_terms(keywords)
        name = naming.existing_match(candidates, existing)
        if name is None:
            name = next((c for c in candidates if c.lower() not in taken), None) or _numbered(
                candidates[0], taken
            )
        if name.lower() in taken:
            taken[name.lower()].keywords.extend(keywords)
        else:
            taken[name.lower()] = Group(name=name, keywords=keywords)
    for group in taken.values():
        group.description = naming.describe(group.name, group.keywords)
    return list(taken.values())
