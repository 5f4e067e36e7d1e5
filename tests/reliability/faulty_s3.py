"""A fault-injecting HTTP proxy on loopback, in front of the real S3 server.

Forwards every request unchanged (the Host header too, so SigV4 signatures stay valid) and, seeded:
answers a share of requests with 503 SlowDown or 500 InternalError without forwarding them; holds the
answers to GETs of objects longer than the clients' read timeout; or refuses every connection while
the endpoint is "gone". Counts what it did, so a test can show the faults really happened.

It runs in a process of its own: delta-rs holds the GIL while it waits on the network, so a proxy thread
inside the test's process would stall until the client timed out.
"""

from __future__ import annotations

import http.client
import multiprocessing
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

ERRORS = {
    503: b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
    500: b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
}


@dataclass
class Faults:
    """What the proxy does to the traffic; change it at any time."""

    error_rate: float = 0.0  # share of requests answered 503 or 500
    slow_get_rate: float = 0.0  # share of object GETs held for `slow_seconds` before answering
    slow_seconds: float = 0.0
    gone_after: float | None = None  # seconds after the start at which the endpoint disappears...
    gone_for: float = 0.0  # ...for this long: every connection is dropped
    seed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"forwarded": 0, "503": 0, "500": 0, "slow": 0, "dropped": 0})

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def decide(self, method: str, path: str) -> str:
        with self.lock:
            elapsed = time.monotonic() - self.started
            if self.gone_after is not None and self.gone_after <= elapsed < self.gone_after + self.gone_for:
                return "dropped"
            if self.rng.random() < self.error_rate:
                return self.rng.choice(["503", "500"])
            if method == "GET" and "?" not in path and self.rng.random() < self.slow_get_rate:
                return "slow"
            return "forwarded"

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


def _serve(upstream: str, settings: dict, ports: multiprocessing.Queue, counts: dict) -> None:
    """The proxy process: serve until terminated, mirroring the counts into the shared dict."""
    faults = Faults(**{k: v for k, v in settings.items() if k != "counts"})
    server = _Proxy(upstream, faults)
    ports.put(server.server.server_address[1])
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    while True:
        time.sleep(0.2)
        counts.update(faults.counts)


class FaultyS3Proxy:
    """`with FaultyS3Proxy(upstream, faults) as proxy:`, point the clients at proxy.endpoint; proxy.counts after."""

    def __init__(self, upstream: str, faults: Faults) -> None:
        context = multiprocessing.get_context("spawn")
        self.manager = context.Manager()
        self.shared = self.manager.dict(faults.counts)
        ports = context.Queue()
        self.process = context.Process(target=_serve, args=(upstream, asdict(faults), ports, self.shared), daemon=True)
        self.process.start()
        self.endpoint = f"http://127.0.0.1:{ports.get(timeout=60)}"
        self.counts: dict[str, int] = dict(faults.counts)

    def __enter__(self) -> FaultyS3Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # the last counts
        self.counts = dict(self.shared)
        self.process.terminate()
        self.process.join(10)
        self.manager.shutdown()


class _Proxy:
    """The HTTP server itself (inside the proxy process)."""

    def __init__(self, upstream: str, faults: Faults) -> None:
        self.upstream = urlparse(upstream)
        self.faults = faults
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                body = self._body()
                what = proxy.faults.decide(self.command, self.path)
                proxy.faults.count(what)
                if what == "dropped":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if what in ("503", "500"):
                    self.send_response(int(what))
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(ERRORS[int(what)])))
                    self.end_headers()
                    self.wfile.write(ERRORS[int(what)])
                    return
                if what == "slow":
                    time.sleep(proxy.faults.slow_seconds)
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                # a HEAD answer's length is the object's, not that of the (empty) payload
                length = answer.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(payload))
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
