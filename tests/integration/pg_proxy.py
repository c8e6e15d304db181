"""A TCP proxy in front of PostgreSQL that takes the database away on demand: it cuts every open connection
and refuses new ones (the port closed) until told to accept again, as a restarting server does. It can also
wait for a statement: the first client message that contains given bytes is not forwarded, and the database
goes away at that moment (psycopg2 sends each statement as one simple-query message with its SQL in clear).
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

_CHUNK = 65536


class PgProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.cuts = 0  # times the database went away
        self.fired = threading.Event()  # the awaited statement came and the database went away
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._needle: bytes | None = None
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def up(self) -> bool:
        return self._listener is not None

    def cut(self) -> None:
        """The database goes away: open connections are cut and new ones refused until accept()."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = set(self._pairs), set()
            self.cuts += 1
        if listener is not None:
            listener.close()  # the accept loop sees it closed within its timeout and ends
        for pair in pairs:
            for sock in pair:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def accept(self) -> None:
        """The database is back: the same port accepts connections again."""
        with self._lock:
            if self._listener is not None:
                return
        self._listen(self.port)

    @contextmanager
    def down(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.accept()

    def cut_at(self, statement: bytes) -> None:
        """Cut (and refuse, until accept()) when a client next sends a message containing `statement`,
        which then never reaches the server; `fired` is set when that happened."""
        self.fired.clear()
        self._needle = statement

    def close(self) -> None:
        self._needle = None
        self.cut()

    # -- the plumbing

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.settimeout(0.1)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), name="pg-proxy-accept", daemon=True).start()
        return listener.getsockname()[1]

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            pair = (client, server)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile: this connection is refused too
                    client.close()
                    server.close()
                    return
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair, client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, server, client, False), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket], src: socket.socket, dst: socket.socket,
              from_client: bool) -> None:
        tail = b""
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                needle = self._needle if from_client else None
                if needle is not None and needle in tail + data:
                    self._needle = None
                    self.cut()
                    self.fired.set()
                    return
                if needle is not None:
                    tail = (tail + data)[-len(needle):]  # a statement split over two reads is still seen
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._pairs.discard(pair)
            for sock in pair:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
