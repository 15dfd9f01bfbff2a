"""A fault-injecting HTTP proxy for tests (never imported by the product): it stands in front of a
real server (the test WordPress) and, as a test tells it, answers errors, hangs, or holds one
request before or after forwarding it so the test can kill the client at that very moment.

    with FaultProxy("http://127.0.0.1:18800") as proxy:
        proxy.fail_next(3, status=500)                      # three 500s, nothing forwarded
        proxy.hang_next(2, seconds=5, forward=True)         # forwarded (it lands), answered late
        hold = proxy.hold("POST", "/wp/v2/posts", needle="igny8-abc", phase="after")
        hold.engaged.wait(); ...kill the client...; hold.released.set()
"""

import http.client
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te"}


@dataclass
class Hold:
    method: str
    route: str
    needle: str
    phase: str  # "before": never forwarded; "after": forwarded, the answer withheld
    engaged: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, route: str, text: str) -> bool:
        return method == self.method and route.startswith(self.route) and self.needle in text


@dataclass
class Fault:
    status: int = 0  # answer this status without forwarding
    hang: float = 0.0  # wait this long before answering
    forward: bool = False  # forward first (the request lands), then hang


class FaultProxy:
    def __init__(self, upstream: str, *, host: str = "127.0.0.1"):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname, parsed.port or 80
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.log: list[tuple[str, str, int | str]] = []
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer((host, 0), ProxyHandler)
        self.server.proxy = self
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, count: int, *, status: int = 500) -> None:
        with self.lock:
            self.faults += [Fault(status=status) for _ in range(count)]

    def hang_next(self, count: int, *, seconds: float, forward: bool) -> None:
        with self.lock:
            self.faults += [Fault(hang=seconds, forward=forward) for _ in range(count)]

    def hold(self, method: str, route: str, *, needle: str = "", phase: str = "before") -> Hold:
        hold = Hold(method, route, needle, phase)
        with self.lock:
            self.holds.append(hold)
        return hold

    def counted(self, outcome) -> int:
        return sum(1 for entry in self.log if entry[2] == outcome)

    def next_fault_or_hold(self, method: str, route: str, text: str):
        with self.lock:
            for hold in self.holds:
                if hold.matches(method, route, text):
                    self.holds.remove(hold)
                    return None, hold
            return (self.faults.pop(0) if self.faults else None), None

    def __enter__(self) -> "FaultProxy":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        with self.lock:
            for hold in self.holds:
                hold.released.set()
        self.server.shutdown()
        self.server.server_close()


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        route = query.get("rest_route", [urllib.parse.urlsplit(self.path).path])[0]
        text = urllib.parse.unquote_plus(self.path) + body.decode("utf-8", "replace")
        fault, hold = self.server.proxy.next_fault_or_hold(self.command, route, text)
        if hold and hold.phase == "before":
            return self.held(hold, route)
        if fault and fault.status:
            self.server.proxy.log.append((self.command, route, "injected"))
            headers = {"Content-Type": "application/json"}
            return self.answer(fault.status, headers, b'{"code":"injected"}')
        if fault and fault.hang and not fault.forward:
            self.server.proxy.log.append((self.command, route, "hung"))
            self.server.proxy.stopping.wait(fault.hang)
            return self.close_connection_now()
        status, headers, answer = self.forward(body)
        if hold:
            return self.held(hold, route)
        if fault and fault.hang:
            self.server.proxy.log.append((self.command, route, "landed-then-hung"))
            self.server.proxy.stopping.wait(fault.hang)
            return self.close_connection_now()
        self.server.proxy.log.append((self.command, route, status))
        self.answer(status, headers, answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def held(self, hold: Hold, route: str) -> None:
        self.server.proxy.log.append((self.command, route, f"held-{hold.phase}"))
        hold.engaged.set()
        hold.released.wait()
        self.close_connection_now()

    def close_connection_now(self) -> None:
        self.close_connection = True

    def forward(self, body: bytes):
        connection = http.client.HTTPConnection(
            self.server.proxy.upstream_host, self.server.proxy.upstream_port, timeout=60
        )
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        dropped = HOP_HEADERS | {"content-length"}
        kept = {k: v for k, v in response.getheaders() if k.lower() not in dropped}
        connection.close()
        return response.status, kept, answer

    def answer(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
