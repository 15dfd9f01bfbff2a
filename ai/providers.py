"""AI providers: `openai` (any OpenAI-compatible endpoint, through the official SDK) and `offline`."""

import base64
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import jsonschema
import openai
from django.conf import settings

from ai import clustering, offline
from ai.errors import AIError, RateLimitWaitExceeded
from ai.ratelimit import ProviderRateLimit, provider_key
from ai.specs import FunctionSpec

logger = logging.getLogger(__name__)


@dataclass
class Embeddings:
    vectors: list[list[float]]
    model: str
    tokens_in: int = 0
    duration_ms: int = 0  # set where the call was made ahead of its log (see ai.embeddings)


@dataclass
class Completion:
    data: dict
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    replaced: tuple[dict, ...] = ()  # earlier answers of the same call this one replaced (tokens summed)
    embedded: Embeddings | None = None  # the answer's texts embedded by the call's thread (embed_answer)
    review: object = None  # what the call's thread made of the answer (AIFunction.review_answer)


@dataclass
class GeneratedImage:
    png: bytes
    model: str


class Provider(Protocol):
    """What the engine asks of an AI provider. Each method raises AIError when the call fails."""

    name: str  # recorded on every AI task log

    def complete_json(self, *, spec: FunctionSpec, data: dict, model: str) -> Completion:
        """The function's JSON answer for `data`, validated against `spec`'s schema."""

    def generate_image(self, *, model: str, prompt: str, size: str) -> GeneratedImage: ...

    def embed(self, *, model: str, texts: list[str]) -> Embeddings: ...


class OpenAIProvider:
    """Structured Outputs through the official SDK, each call in its turn of the key's pace.

    The SDK retries 5xx and timeouts with backoff (OPENAI_MAX_RETRIES); a 429 is not one of those
    retries: the call takes its next turn, for up to AI_RATE_LIMIT_MAX_WAIT_SECONDS.
    """

    name = "openai"
    malformed_retries = 1
    expected_completion_tokens = 500  # a function's first call, before its answers say more

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        rate_limit: ProviderRateLimit | None = None,
    ):
        self.rate_limit = rate_limit
        self.completion_tokens: dict[str, int] = {}  # the last answer's, per function: the next's guess
        self.client = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=openai.DefaultHttpxClient(event_hooks=rate_limit.event_hooks())
            if rate_limit
            else None,
        )

    def complete_json(self, *, spec: FunctionSpec, data: dict, model: str) -> Completion:
        tokens_in = tokens_out = 0
        messages = [
            {"role": "system", "content": spec.system},
            {"role": "user", "content": spec.prompt(data)},
        ]
        prompt_tokens = math.ceil(sum(len(message["content"]) for message in messages) / 4)
        expected = self.completion_tokens.get(spec.name, self.expected_completion_tokens)
        for attempt in range(1 + self.malformed_retries):
            response = self._paced(
                lambda: self.client.chat.completions.create(
                    model=model,
                    messages=messages,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": spec.name, "strict": True, "schema": spec.schema},
                    },
                ),
                tokens=prompt_tokens + expected,
            )
            if response.usage is not None:
                tokens_in += response.usage.prompt_tokens or 0
                tokens_out += response.usage.completion_tokens or 0
                self.completion_tokens[spec.name] = response.usage.completion_tokens or expected
            content = response.choices[0].message.content if response.choices else None
            try:
                answer = json.loads(content or "")
                spec.validator.validate(answer)
            except (json.JSONDecodeError, jsonschema.ValidationError) as error:
                logger.warning("%s: malformed answer (attempt %d): %s", spec.name, attempt + 1, error)
                last_error = error
                continue
            return Completion(
                data=answer, model=response.model or model, tokens_in=tokens_in, tokens_out=tokens_out
            )
        raise AIError(f"The model returned malformed output twice: {str(last_error)[:300]}")

    def generate_image(self, *, model: str, prompt: str, size: str) -> GeneratedImage:
        response = self._paced(
            lambda: self.client.images.generate(
                model=model, prompt=prompt, size=size, n=1, response_format="b64_json"
            ),
            tokens=0,
        )
        if not response.data or not response.data[0].b64_json:
            raise AIError("The image API returned no image.")
        return GeneratedImage(png=base64.b64decode(response.data[0].b64_json), model=model)

    def embed(self, *, model: str, texts: list[str]) -> Embeddings:
        """One vector per text, in order, from the provider's embeddings endpoint."""
        response = self._paced(
            lambda: self.client.embeddings.create(model=model, input=list(texts)),
            tokens=math.ceil(sum(map(len, texts)) / 4),
        )
        vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        if len(vectors) != len(texts):
            raise AIError(f"The embeddings API returned {len(vectors)} vectors for {len(texts)} texts.")
        tokens = response.usage.prompt_tokens if response.usage is not None else 0
        return Embeddings(vectors=vectors, model=response.model or model, tokens_in=tokens or 0)

    def _paced(self, request: Callable, *, tokens: int):
        """`request()` in its turn; after a 429 in the next, until AI_RATE_LIMIT_MAX_WAIT_SECONDS."""
        rate_limit = self.rate_limit
        deadline = time.monotonic() + (rate_limit.max_wait if rate_limit else 0)
        while True:
            if rate_limit:
                rate_limit.take_turn(tokens=tokens, deadline=deadline)
            try:
                response = request()
            except openai.RateLimitError as error:
                if not rate_limit or getattr(error, "code", None) == "insufficient_quota":
                    raise AIError(_describe(error)) from error  # no turn will bring credit
                if time.monotonic() >= deadline:
                    raise RateLimitWaitExceeded(
                        f"The AI provider's rate limit refused the call for over {rate_limit.max_wait:.0f}s."
                    ) from error
                continue
            except openai.APIError as error:
                raise AIError(_describe(error)) from error
            if rate_limit:
                rate_limit.used_tokens(getattr(getattr(response, "usage", None), "total_tokens", 0) or tokens)
            return response


def _describe(error: openai.APIError) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "The AI provider timed out."
    if isinstance(error, openai.APIConnectionError):
        return "The AI provider could not be reached."
    status = getattr(error, "status_code", None)
    message = getattr(error, "message", str(error))
    return f"The AI provider answered {status}: {message}"[:500] if status else str(message)[:500]


class OfflineProvider:
    """Deterministic answers built locally from the inputs: no network, no key, no cost."""

    name = "offline"

    def complete_json(self, *, spec: FunctionSpec, data: dict, model: str) -> Completion:
        started = time.monotonic()
        answer = spec.offline_answer(data)
        spec.validator.validate(answer)
        logger.debug("offline %s answered in %.3fs", spec.name, time.monotonic() - started)
        if spec.name == "auto_cluster":  # the task log tells which clustering ran
            return Completion(data=answer, model=f"offline-{clustering.clustering_method_name()}")
        return Completion(data=answer, model="offline")

    def embed(self, *, model: str, texts: list[str]) -> Embeddings:
        """Local vectors: the packaged sentence model when the extra is installed, else hashed words."""
        if clustering.semantic.is_available():
            return Embeddings(vectors=clustering.semantic.embed(texts), model="offline-semantic")
        return Embeddings(
            vectors=[clustering.lexical.hashed_vector(text) for text in texts], model="offline-lexical"
        )

    def generate_image(self, *, model: str, prompt: str, size: str) -> GeneratedImage:
        width, height = (min(int(side), 1024) for side in size.lower().split("x"))
        return GeneratedImage(
            png=offline.placeholder_png(prompt, width=width, height=height), model="offline"
        )


@lru_cache(maxsize=1)
def _provider_for(
    name: str, api_key: str, base_url: str | None, timeout: float, max_retries: int, limits: tuple
) -> Provider:
    if name == "openai":
        rpm, tpm, window, storage_uri, max_wait = limits
        rate_limit = ProviderRateLimit(
            key=provider_key(base_url=base_url, api_key=api_key),
            rpm=rpm,
            tpm=tpm,
            window_seconds=window,
            storage_uri=storage_uri,
            max_wait=max_wait,
        )
        return OpenAIProvider(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
        )
    if name == "offline":
        logger.info("AI provider: offline (no API key configured); answers are built locally")
        return OfflineProvider()
    raise ValueError(f"Unknown AI_PROVIDER '{name}' (use 'openai' or 'offline').")


def get_provider() -> Provider:
    """The provider the settings name, built once and shared by every call of the process."""
    return _provider_for(
        settings.AI_PROVIDER,
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT,
        settings.OPENAI_MAX_RETRIES,
        (
            settings.AI_RPM,
            settings.AI_TPM,
            settings.AI_RATE_WINDOW_SECONDS,
            # The counters live beside the cache, so every worker of the deployment shares them.
            settings.REDIS_URL or "memory://",
            settings.AI_RATE_LIMIT_MAX_WAIT_SECONDS,
        ),
    )


def provider_reset() -> None:
    """Forget the built provider, so the next call reads the settings again."""
    _provider_for.cache_clear()
