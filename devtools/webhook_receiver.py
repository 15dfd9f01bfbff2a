"""A receiver of IGNY8's signed webhooks, for tests and rehearsals (never imported by the product).

    python -m devtools.webhook_receiver --port 8766 --secret S [--failure-rate 0.3] [--seed 1]

It checks every request's `X-IGNY8-Signature` the way docs/PUBLISHING.md tells a receiver to
(independently of the sender's code), answers 401 to a bad or stale signature, fails a seeded share
of good requests with 500 before applying them, and applies each `Idempotency-Key` once.
"""

import argparse
import hashlib
import hmac
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    fields = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, received = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)


class WebhookReceiver:
    def __init__(self, *, secret: str, failure_rate: float = 0.0, seed: int = 0, host="127.0.0.1", port=0):
        self.secret, self.failure_rate = secret, failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.applied: dict[str, dict] = {}  # Idempotency-Key -> event
        self.attempts = 0
        self.failed = 0
        self.rejected = 0
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/igny8"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = receiver.receive(
                    self.headers.get("X-IGNY8-Signature", ""), self.headers.get("Idempotency-Key", ""), body
                )
                self.reply(status, payload)

        return Handler

    def receive(self, signature: str, key: str, body: bytes) -> tuple[int, dict]:
        with self.lock:
            self.attempts += 1
            if not verify(self.secret, signature, body, time.time()):
                self.rejected += 1
                return 401, {"error": "bad signature"}
            if self.random.random() < self.failure_rate:
                self.failed += 1
                return 500, {"error": "injected failure"}
            event = json.loads(body)
            self.applied.setdefault(key, event)
            return 200, {
                "id": f"remote-{event['data'].get('content_id', 'ping')}",
                "url": f"https://cms.test/{key}",
            }

    def __enter__(self) -> "WebhookReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    receiver = WebhookReceiver(
        secret=arguments.secret, failure_rate=arguments.failure_rate, seed=arguments.seed, port=arguments.port
    )
    print(f"Receiving signed webhooks at {receiver.url}", flush=True)
    receiver.server.serve_forever()


if __name__ == "__main__":
    main()
