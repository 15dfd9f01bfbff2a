"""Clustering quality harness (not a test): purity, cluster size, singletons and ARI per method and set.

    .venv/bin/python bench/clustering.py                 # every available method on every set
    .venv/bin/python bench/clustering.py --sweep lexical # the threshold curve a method was tuned on

The sets in bench/data/ are labelled by hand (keyword,topic); docs/CLUSTERING.md records the numbers.
The `ceiling` row is not a method: it is the best that words alone allow (see word_sharing_ceiling).
"""

import argparse
import csv
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ai import clustering  # noqa: E402
from ai.clustering import lexical, semantic  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def load(path: Path) -> tuple[list[str], list[str]]:
    rows = list(csv.DictReader(path.open()))
    return [row["keyword"] for row in rows], [row["topic"] for row in rows]


def _pairs(count: int) -> float:
    return count * (count - 1) / 2


def adjusted_rand_index(labels: list[str], groups: list[int]) -> float:
    """ARI (Hubert and Arabie) from the contingency table of true topics against found clusters."""
    table = Counter(zip(labels, groups, strict=True))
    index = sum(_pairs(n) for n in table.values())
    rows = sum(_pairs(n) for n in Counter(labels).values())
    columns = sum(_pairs(n) for n in Counter(groups).values())
    expected = rows * columns / _pairs(len(labels))
    maximum = (rows + columns) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def scores(labels: list[str], groups: list[int]) -> dict:
    members: dict[int, list[str]] = {}
    for label, group in zip(labels, groups, strict=True):
        members.setdefault(group, []).append(label)
    majority = sum(Counter(topics).most_common(1)[0][1] for topics in members.values())
    alone = sum(1 for topics in members.values() if len(topics) == 1)
    return {
        "clusters": len(members),
        "purity": majority / len(labels),
        "avg_size": len(labels) / len(members),
        "singletons": alone / len(labels),
        "ari": adjusted_rand_index(labels, groups),
    }


def assignment(texts: list[str], index_groups: list[list[int]]) -> list[int]:
    found = [0] * len(texts)
    for number, group in enumerate(index_groups):
        for index in group:
            found[index] = number
    return found


def run_method(method: str, texts: list[str]) -> list[int]:
    """Cluster through the public API, so names and merges by name count as the product does them."""
    groups = clustering.cluster_keywords(texts, method=method)
    by_text = {text: number for number, group in enumerate(groups) for text in group.keywords}
    return [by_text[text] for text in texts]


def word_sharing_ceiling(texts: list[str], labels: list[str]) -> list[int]:
    """The largest pure clusters that the keywords' own words can justify, found with the answers.

    Inside each true topic, keywords that share a stemmed word (or share one with a keyword that
    does, and so on) form one cluster. No method that reads only the words can join two of these
    clusters without a shared word, so their average size bounds what lexical clustering can reach
    at purity 1.0.
    """
    stems = [{stem for stem, _ in lexical.words(text)} for text in texts]
    parent = list(range(len(texts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for left in range(len(texts)):
        for right in range(left + 1, len(texts)):
            if labels[left] == labels[right] and stems[left] & stems[right]:
                parent[root(left)] = root(right)
    return [root(index) for index in range(len(texts))]


def report(sets: list[Path], methods: list[str]) -> None:
    print(
        f"{'set':<20} {'method':<9} {'clusters':>8} {'purity':>7} {'avg size':>8} {'singl.':>7} "
        f"{'ARI':>6} {'s':>6}"
    )
    for path in sets:
        texts, labels = load(path)
        for method in methods:
            started = time.perf_counter()
            found = run_method(method, texts)
            seconds = time.perf_counter() - started
            s = scores(labels, found)
            print(
                f"{path.stem:<20} {method:<9} {s['clusters']:>8} {s['purity']:>7.3f} {s['avg_size']:>8.2f} "
                f"{s['singletons']:>7.3f} {s['ari']:>6.3f} {seconds:>6.2f}"
            )
        s = scores(labels, word_sharing_ceiling(texts, labels))
        print(
            f"{path.stem:<20} {'ceiling':<9} {s['clusters']:>8} {s['purity']:>7.3f} {s['avg_size']:>8.2f} "
            f"{s['singletons']:>7.3f} {s['ari']:>6.3f} {'':>6}"
        )


def small_mixes(labels: list[str], *, seed: int = 11) -> list[list[int]]:
    """Index sets of a few topics with a few keywords each, as a batch of stage 1 sees them.

    A method tuned on a whole set only can merge everything in an input this small (a keyword's
    nearest neighbours then come from other topics), so the sweep reports both.
    """
    rng = random.Random(seed)
    topics = sorted(set(labels))
    mixes = []
    for topic_count, per_topic in ((2, 3), (3, 3), (4, 4), (3, 6), (6, 5), (5, 4)):
        for _ in range(15):
            mix: list[int] = []
            for topic in rng.sample(topics, topic_count):
                members = [i for i, label in enumerate(labels) if label == topic]
                mix += rng.sample(members, per_topic)
            mixes.append(mix)
    return mixes


def _sweep_scores(method: str, setting: tuple, texts: list[str], labels: list[str], vectors) -> dict:
    """Scores of one sweep setting: (smoothed, threshold) for semantic, (False, pair weight) for lexical."""
    smoothed, value = setting
    if method == "semantic":
        vectors = semantic.smooth(vectors) if smoothed else vectors
        groups = semantic.cluster_vectors(vectors, threshold=value, texts=texts)
    else:
        groups = lexical.cluster(texts, pair_bonus=value)
    return scores(labels, assignment(texts, groups))


def sweep(sets: list[Path], method: str) -> None:
    if method == "semantic":
        # (smoothed, threshold): the model's own vectors, then the smoothed ones that are used.
        settings = [(False, t) for t in (0.24, 0.26, 0.28, 0.30)]
        settings += [(True, t) for t in (0.45, 0.475, 0.50, 0.525, 0.55, 0.60)]
    else:
        settings = [(False, w) for w in (1.0, 1.5, 2.0, 3.0, 4.0)]  # a word pair's weight against a word
    for path in sets:
        texts, labels = load(path)
        vectors = semantic.encoder().encode(texts) if method == "semantic" else None
        mixes = small_mixes(labels)
        for setting in settings:
            s = _sweep_scores(method, setting, texts, labels, vectors)
            small = [
                _sweep_scores(
                    method,
                    setting,
                    [texts[i] for i in mix],
                    [labels[i] for i in mix],
                    vectors[mix] if vectors is not None else None,
                )
                for mix in mixes
            ]
            small_purity = sum(m["purity"] for m in small) / len(small)
            small_ari = sum(m["ari"] for m in small) / len(small)
            label = ("smoothed " if setting[0] else "") + f"t={setting[1]:.3f}"
            print(
                f"{path.stem:<20} {method:<9} {label:<16} clusters={s['clusters']:>3} "
                f"purity={s['purity']:.3f} avg={s['avg_size']:.2f} singletons={s['singletons']:.3f} "
                f"ari={s['ari']:.3f} | small inputs: purity={small_purity:.3f} ari={small_ari:.3f}"
            )


def speed(sets: list[Path]) -> None:
    texts = [text for path in sets for text in load(path)[0]]
    semantic.encoder().encode(texts[:8])  # load the model outside the timing
    started = time.perf_counter()
    semantic.encoder().encode(texts)
    seconds = time.perf_counter() - started
    print(f"embedding: {len(texts)} keywords in {seconds:.2f}s = {len(texts) / seconds:.0f} keywords/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sweep", choices=["lexical", "semantic"])
    parser.add_argument("--set", action="append", help="a CSV under bench/data (default: all)")
    args = parser.parse_args()
    sets = [DATA / name for name in args.set] if args.set else sorted(DATA.glob("*.csv"))
    if args.sweep:
        sweep(sets, args.sweep)
        return
    report(sets, clustering.available_methods()[::-1])
    if semantic.is_available():
        speed(sets)


if __name__ == "__main__":
    main()
