"""A TCP proxy that holds every reply for a while: a real, slow link to a real Redis."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class LatencyProxy:
    """Listens on `port`; forwards to 127.0.0.1:``upstream_port``, delaying each chunk that
    comes back by ``delay_secs`` (requests go through at once)."""

    def __init__(self, upstream_port: int, *, delay_secs: float) -> None:
        self._upstream = upstream_port
        self._delay = delay_secs
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()

    def __enter__(self) -> LatencyProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed.set()
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._upstream))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, self._delay), daemon=True
            ).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
        try:
            while chunk := source.recv(65536):
                time.sleep(delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
