"""S3 test servers: moto's S3 server in a subprocess, and a fault proxy in front of it.

moto stands in for MinIO (no MinIO binary in our registries); the adapter under test is the
production one, talking S3 through the minio SDK. Under CI=true a server that cannot start fails
the tests instead of skipping them.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storage.settings import ObjectStoreKind, StorageSettings

REGION = "us-east-1"
_START_TIMEOUT_S = 30.0


class MotoUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """`python -m moto.server` on a free port; its log goes to a temporary file for failure messages."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self._log = Path(tempfile.mkstemp(prefix="moto-s3-", suffix=".log")[1])
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                          stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise MotoUnavailable(f"moto.server exited with {self._proc.returncode}: {self.log_tail()}")
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.1)
        raise MotoUnavailable(f"moto.server not listening after {_START_TIMEOUT_S:.0f}s: {self.log_tail()}")

    def log_tail(self) -> str:
        return self._log.read_text(errors="replace")[-2000:]

    def enable_iam_auth(self) -> None:
        """From now on every request must be signed by an IAM user's key and allowed by its policy."""
        request = urllib.request.Request(f"http://{self.endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})  # a form type would hide the body
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["status"] == "ok"

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.unlink(missing_ok=True)


@contextmanager
def moto_server_or_skip() -> Iterator[MotoServer]:
    server: MotoServer | None = None
    try:
        server = MotoServer()
        server.wait_ready()
    except (OSError, MotoUnavailable) as exc:
        if server is not None:
            server.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"moto S3 server could not start (CI=true: not skipped): {exc}", pytrace=False)
        pytest.skip(f"moto S3 server could not start: {exc} (set CI=true to make this a failure)")
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


_POLICIES = {  # IAM user -> the S3 actions it may perform (None: no policy at all)
    "writer": ["s3:*"],
    # moto checks a HEAD of the bucket as s3:HeadBucket; AWS and MinIO as s3:ListBucket.
    "reader": ["s3:GetObject", "s3:ListBucket", "s3:HeadBucket"],
    "nobody": None,
}


def create_iam_users(endpoint: str) -> dict[str, Credentials]:
    """The users of _POLICIES with access keys, created while the server still takes unsigned requests."""
    import boto3  # moto's own dependency

    iam = boto3.client("iam", endpoint_url=f"http://{endpoint}", region_name=REGION,
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    users = {}
    for name, actions in _POLICIES.items():
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users[name] = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
        if actions:
            document = {"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
            iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps(document))
    return users


def store_settings(endpoint: str, bucket: str, credentials: Credentials | None = None,
                   **overrides: object) -> StorageSettings:
    """Settings for a MinIO store with fast retries, as explicit values (the environment cannot leak in)."""
    credentials = credentials or Credentials("testing", "testing")
    values: dict[str, object] = {
        "object_store": ObjectStoreKind.MINIO, "minio_endpoint": endpoint, "minio_bucket": bucket,
        "minio_access_key": credentials.access_key, "minio_secret_key": credentials.secret_key,
        "minio_secure": False, "minio_region": REGION, "minio_retries": 2, "minio_backoff_s": 0.01,
        "minio_backoff_max_s": 0.05, "minio_connect_timeout_s": 1.0, "minio_read_timeout_s": 5.0,
    }
    return StorageSettings(**(values | overrides))


def unique_bucket() -> str:
    return f"prescreen-{uuid.uuid4().hex[:12]}"


class RecordedSleeps(list):
    """A RetryPolicy sleep that keeps each delay (and really sleeps, the delays being short)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


# -- the fault proxy

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                         "upgrade"})


@dataclass
class Seen:
    method: str
    path: str
    status: int  # 0: no answer (stalled)
    headers: dict[str, str] = field(default_factory=dict)


class FaultProxy:
    """A real HTTP server in front of an S3 server. It forwards one request at a time (moto checks
    If-None-Match and then writes without a lock, so its atomicity is not guaranteed; MinIO's is),
    and on demand answers the next requests with an S3 error, leaves them unanswered, or holds HEAD
    requests until several arrived."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[Seen] = []
        self._plans: list[tuple[str, object]] = []  # ("fail", (status, code)) or ("stall", seconds), in order
        self._head_gate: threading.Barrier | None = None
        self._state = threading.Lock()
        self._upstream_lock = threading.Lock()
        self._server = _ProxyServer(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, count: int, status: int = 503, code: str | None = "SlowDown") -> None:
        """Answer the next `count` requests with an S3 error; code None: an HTML page, as a load balancer sends."""
        with self._state:
            self._plans += [("fail", (status, code))] * count

    def stall_next(self, count: int, seconds: float) -> None:
        with self._state:
            self._plans += [("stall", seconds)] * count

    @contextmanager
    def heads_gated(self, parties: int) -> Iterator[None]:
        """Inside, HEAD requests wait until `parties` of them have arrived: racing writers all see the key free."""
        self._head_gate = threading.Barrier(parties, timeout=10)
        try:
            yield
        finally:
            self._head_gate.abort()  # nobody stays stuck waiting for a partner
            self._head_gate = None

    def requests(self, method: str | None = None) -> list[Seen]:
        with self._state:
            return [s for s in self.seen if method is None or s.method == method]

    def stop(self) -> None:
        """Gone like a stopped server: no new connections, and the kept-alive ones cut."""
        self._server.shutdown()
        self._server.server_close()
        self._server.cut_connections()
        self._thread.join(timeout=5)

    def _next_plan(self) -> tuple[str, object] | None:
        with self._state:
            return self._plans.pop(0) if self._plans else None

    def _record(self, seen: Seen) -> None:
        with self._state:
            self.seen.append(seen)

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]],
                 body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        host, port = self.upstream.rsplit(":", 1)
        with self._upstream_lock:
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                # The Host header is the client's: SigV4 signed it, so it goes through unchanged.
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        conn.putheader(name, value)
                conn.endheaders(body or None)
                response = conn.getresponse()
                payload = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                return response.status, kept, payload
            finally:
                conn.close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.proxy = proxy
        self.connections: set[socket.socket] = set()

    def get_request(self) -> tuple[socket.socket, object]:
        conn, address = super().get_request()
        self.connections.add(conn)
        return conn, address

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        for conn in list(self.connections):
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as urllib3 expects

    def log_message(self, format: str, *args: object) -> None:  # quiet: failures show in assertions
        pass

    def do_GET(self) -> None:
        self._relay()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _relay(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]  # a _ProxyServer
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen_headers = {k.lower(): v for k, v in self.headers.items()}
        plan = proxy._next_plan()
        if plan and plan[0] == "stall":
            proxy._record(Seen(self.command, self.path, 0, seen_headers))
            time.sleep(float(plan[1]))  # type: ignore[arg-type]
            self.close_connection = True  # the client has given up by now
            return
        if plan and plan[0] == "fail":
            status, code = plan[1]  # type: ignore[misc]
            if code is None:
                payload = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
                headers = [("Content-Type", "text/html")]
            else:
                payload = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                           f"<Message>injected by the fault proxy</Message><Resource>{self.path}</Resource>"
                           "<RequestId>fault-proxy</RequestId></Error>").encode()
                headers = [("Content-Type", "application/xml")]
        else:
            gate = proxy._head_gate if self.command == "HEAD" else None
            _wait(gate)  # all gated HEADs are sent on together (after every earlier write) …
            status, headers, payload = proxy._forward(self.command, self.path, list(self.headers.items()), body)
            _wait(gate)  # … and answered together (before any later write)
        proxy._record(Seen(self.command, self.path, status, seen_headers))
        self.send_response_only(status)
        for name, value in headers:
            if not (name.lower() == "content-length" and self.command != "HEAD"):
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(payload)))
        elif not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", "0")
        self.end_headers()
        if self.command != "HEAD":
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)


def _wait(gate: threading.Barrier | None) -> None:
    if gate is not None:
        with suppress(threading.BrokenBarrierError):
            gate.wait()


# -- pytest fixtures (registered by the test module that imports them)

@pytest.fixture(scope="module")
def moto_s3() -> Iterator[MotoServer]:
    """An S3 server that accepts any credentials."""
    with moto_server_or_skip() as server:
        yield server


@pytest.fixture(scope="module")
def moto_s3_iam() -> Iterator[tuple[MotoServer, dict[str, Credentials]]]:
    """A second S3 server that checks signatures and IAM policies, with the users of _POLICIES."""
    with moto_server_or_skip() as server:
        users = create_iam_users(server.endpoint)
        server.enable_iam_auth()
        yield server, users


@pytest.fixture
def fault_proxy(moto_s3: MotoServer) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_s3.endpoint)
    try:
        yield proxy
    finally:
        proxy.stop()
