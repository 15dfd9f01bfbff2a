"""A local server that speaks the OpenAI HTTP API, for tests, benchmarks and keyless rehearsals.

    python -m devtools.openai_server --port 8765 [--latency-ms 200] [--error-rate 0.1] [--malformed-rate 0.05]

Answers chat completions that ask for Structured Outputs with content built by `ai.offline` from
the prompt's input block, and image generations with placeholder PNGs. Knobs simulate latency,
429/500 errors, hangs, malformed JSON and a provider's rate limit (`--limit-requests 40
--limit-window 10`: OpenAI's x-ratelimit-* headers and Retry-After, each switchable); tests change
them at run time (`configure`, or POST /_control) and read what was served (`requests`, or GET /_requests).
"""

import argparse
import base64
import contextlib
import functools
import json
import random
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy

from ai import offline
from ai.clustering import lexical
from ai.specs import SPECS
from devtools.answers import extract_input, schema_value
from devtools.provider_limits import request_tokens, window_limit_from_knobs

DEFAULT_KNOBS = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "malformed_rate": 0.0,
    "hang_seconds": 30.0,
    "seed": 0,
    "fail_next": [],
    "malformed_next": 0,
    "hang_next": 0,
    "image_fail_next": 0,
    "respond_next": [],
    "retry_after": 0,
    "fixed_image": False,  # one image per size for every prompt: benchmarks keep the drawing out
    # A provider's rate limit (devtools.provider_limits): 0 is none; headers and Retry-After switchable.
    "limit_requests": 0,
    "limit_tokens": 0,
    "limit_window": 10.0,
    "limit_headers": True,
    "limit_retry_after": True,
}
MODELS = ["gpt-4o-mini", "gpt-4o", "dall-e-3", "text-embedding-3-small"]


@functools.lru_cache(maxsize=8)
def _fixed_png(width: int, height: int) -> bytes:
    return offline.placeholder_png("", width=width, height=height)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (a timeout, a killed worker) is part of the job, not an error to print.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, **knobs):
        self._lock = threading.Lock()
        self._knobs = {**json.loads(json.dumps(DEFAULT_KNOBS)), **knobs}
        self._random = random.Random(self._knobs["seed"])
        self._requests: list[dict] = []
        self._limit = window_limit_from_knobs(self._knobs)
        self._httpd = _QuietServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # Control -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def configure(self, **knobs) -> None:
        unknown = set(knobs) - set(DEFAULT_KNOBS)
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        with self._lock:
            self._knobs.update(knobs)
            if any(name.startswith("limit_") for name in knobs):
                self._limit = window_limit_from_knobs(self._knobs)
            if "seed" in knobs:
                self._random = random.Random(knobs["seed"])

    def reset(self) -> None:
        with self._lock:
            self._knobs = json.loads(json.dumps(DEFAULT_KNOBS))
            self._random = random.Random(0)
            self._requests.clear()
            self._limit = None

    def start(self) -> "FakeOpenAIServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Decisions (under the lock) ----------------------------------------------------------------

    def _decide(self, kind: str) -> dict:
        """What to do with the next request: error status, hang, malformed, scripted answer."""
        with self._lock:
            knobs, rng = self._knobs, self._random
            plan = {
                "latency": knobs["latency_ms"] / 1000,
                "status": 200,
                "hang": 0.0,
                "malformed": False,
                "answer": None,
            }
            if knobs["fail_next"]:
                plan["status"] = knobs["fail_next"].pop(0)
            elif knobs["hang_next"]:
                knobs["hang_next"] -= 1
                plan["hang"] = knobs["hang_seconds"]
            elif kind == "image" and knobs["image_fail_next"]:
                knobs["image_fail_next"] -= 1
                plan["status"] = 400
            elif knobs["error_rate"] and rng.random() < knobs["error_rate"]:
                plan["status"] = rng.choice([429, 500])
            elif knobs["timeout_rate"] and rng.random() < knobs["timeout_rate"]:
                plan["hang"] = knobs["hang_seconds"]
            elif kind == "chat" and knobs["malformed_next"]:
                knobs["malformed_next"] -= 1
                plan["malformed"] = True
            elif kind == "chat" and knobs["malformed_rate"] and rng.random() < knobs["malformed_rate"]:
                plan["malformed"] = True
            elif kind == "chat" and knobs["respond_next"]:
                plan["answer"] = knobs["respond_next"].pop(0)
            return plan

    def _admit(self, body: dict) -> tuple[bool, dict]:
        """Whether the provider's rate limit lets the request through, and the headers it answers with."""
        limit = self._limit
        if limit is None:
            return True, {}
        admission = limit.admit(request_tokens(body, offline.estimate_tokens))
        return admission.accepted, admission.headers

    def _record(self, entry: dict) -> None:
        with self._lock:
            self._requests.append(entry)

    # HTTP ----------------------------------------------------------------------------------------

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for
            # the client's delayed ACK (about 40 ms on Linux), a delay no real provider adds.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in {**self.rate_headers, **(headers or {})}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    return json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    return {}

            def do_GET(self):
                self.rate_headers = {}
                if self.path.rstrip("/") == "/v1/models":
                    self._send(
                        200, {"object": "list", "data": [{"id": m, "object": "model"} for m in MODELS]}
                    )
                elif self.path.rstrip("/") == "/_requests":
                    self._send(200, {"requests": server.requests})
                else:
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self):
                self.rate_headers = {}  # one handler serves every request of a kept-alive connection
                body = self._body()
                path = self.path.rstrip("/")
                if path == "/_control":
                    try:
                        server.configure(**body)
                    except ValueError as error:
                        return self._send(400, {"error": str(error)})
                    return self._send(200, {"ok": True})
                if path == "/_reset":
                    server.reset()
                    return self._send(200, {"ok": True})
                if path == "/v1/chat/completions":
                    return self._serve(path, body, "chat")
                if path == "/v1/images/generations":
                    return self._serve(path, body, "image")
                if path == "/v1/embeddings":
                    return self._serve(path, body, "embeddings")
                self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def _serve(self, path: str, body: dict, kind: str) -> None:
                plan = server._decide(kind)
                if plan["status"] == 200:
                    accepted, self.rate_headers = server._admit(body)
                    plan["status"], plan["limited"] = (200, False) if accepted else (429, True)
                response_format = body.get("response_format")
                schema = response_format.get("json_schema") or {} if isinstance(response_format, dict) else {}
                entry = {
                    "path": path,
                    "model": body.get("model"),
                    "schema_name": schema.get("name"),
                    "status": plan["status"],
                    "malformed": plan["malformed"],
                    "usage": None,
                    "time": time.time(),
                }
                answer = None
                if plan["status"] == 200 and not plan["hang"]:
                    # Made within the latency, not after it: a provider's latency is the time to its
                    # answer, so eight answers asked at once must not queue behind each other here.
                    answers = {"image": self._image, "embeddings": self._embeddings, "chat": self._chat}
                    answer = answers[kind](body, schema, plan)
                    entry["usage"] = answer.get("usage")
                if plan["latency"] and not plan.get("limited"):  # a refusal of the limit answers at once
                    time.sleep(max(0.0, entry["time"] + plan["latency"] - time.time()))
                if plan["hang"]:
                    entry["status"] = "hang"
                    server._record(entry)
                    time.sleep(plan["hang"])
                    return self._send(500, {"error": {"message": "hung", "type": "server_error"}})
                # Recorded before the answer leaves: a client that has its answer finds it in `requests`.
                server._record(entry)
                if answer is None:
                    return self._error(plan["status"], limited=plan.get("limited", False))
                self._send(200, answer)

            def _error(self, status: int, *, limited: bool = False) -> None:
                messages = {
                    429: ("Rate limit reached, retry shortly.", "rate_limit_exceeded"),
                    400: ("Your request was rejected by the content policy.", "content_policy_violation"),
                }
                message, code = messages.get(status, ("The server had an error.", "server_error"))
                # A refusal of the rate limit says what its limit's knobs say (perhaps no Retry-After).
                retry_after = {"retry-after": str(server._knobs["retry_after"])}
                headers = retry_after if status == 429 and not limited else None
                self._send(status, {"error": {"message": message, "type": code, "code": code}}, headers)

            def _image(self, body: dict, schema: dict, plan: dict) -> dict:
                width, height = 1024, 1024
                with contextlib.suppress(ValueError):
                    width, height = (int(side) for side in str(body.get("size", "1024x1024")).split("x"))
                width, height = min(width, 1024), min(height, 1024)
                if server._knobs["fixed_image"]:
                    png = _fixed_png(width, height)
                else:
                    png = offline.placeholder_png(body.get("prompt", ""), width=width, height=height)
                return {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(png).decode()}]}

            def _embeddings(self, body: dict, schema: dict, plan: dict) -> dict:
                """The answer: deterministic vectors in which keywords that share words point alike."""
                texts = body.get("input") or []
                texts = [texts] if isinstance(texts, str) else [str(text) for text in texts]
                dimensions = int(body.get("dimensions") or 256)
                usage = {"prompt_tokens": sum(offline.estimate_tokens(text) for text in texts)}
                usage["total_tokens"] = usage["prompt_tokens"]
                # As OpenAI does: base64 of little-endian float32 when asked (the SDK asks by default).
                as_base64 = body.get("encoding_format") == "base64"
                data = [
                    {
                        "object": "embedding",
                        "index": index,
                        "embedding": (
                            base64.b64encode(numpy.asarray(vector, dtype="<f4").tobytes()).decode()
                            if as_base64
                            else vector
                        ),
                    }
                    for index, vector in enumerate(lexical.hashed_vector(text, dimensions) for text in texts)
                ]
                model = body.get("model") or "text-embedding-3-small"
                return {"object": "list", "data": data, "model": model, "usage": usage}

            def _chat(self, body: dict, schema: dict, plan: dict) -> dict:
                messages = body.get("messages") or []
                prompt = next(
                    (m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), ""
                )
                if plan["answer"] is not None:
                    data = plan["answer"]
                else:
                    try:
                        data = SPECS[schema.get("name", "")].offline_answer(extract_input(prompt))
                    except (KeyError, TypeError, ValueError):
                        data = schema_value(schema.get("schema", {"type": "object"}))
                content = json.dumps(data)
                if plan["malformed"]:
                    content = content[: max(1, len(content) // 2)]  # cut short: not valid JSON
                prompt_text = "".join(str(m.get("content", "")) for m in messages)
                usage = {
                    "prompt_tokens": offline.estimate_tokens(prompt_text),
                    "completion_tokens": offline.estimate_tokens(content),
                }
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                return {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model") or "gpt-4o-mini",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixed-image", action="store_true", help="one image per size, drawn once")
    parser.add_argument("--limit-requests", type=int, default=0, help="requests per window (429 past it)")
    parser.add_argument("--limit-tokens", type=int, default=0, help="tokens per window (429 past it)")
    parser.add_argument("--limit-window", type=float, default=10.0, help="the limit's window, seconds")
    parser.add_argument("--no-limit-headers", action="store_true", help="no x-ratelimit-* headers")
    parser.add_argument("--no-retry-after", action="store_true", help="no Retry-After on refusals")
    args = parser.parse_args()
    server = FakeOpenAIServer(
        args.host,
        args.port,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        malformed_rate=args.malformed_rate,
        seed=args.seed,
        fixed_image=args.fixed_image,
        limit_requests=args.limit_requests,
        limit_tokens=args.limit_tokens,
        limit_window=args.limit_window,
        limit_headers=not args.no_limit_headers,
        limit_retry_after=not args.no_retry_after,
    )
    print(f"fake-openai listening on {server.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._httpd.serve_forever()


if __name__ == "__main__":
    main()
