"""A TCP proxy whose link can be cut the way a network cut looks to both ends.

While cut, bytes in either direction are read and thrown away: nothing reaches
the other side and nobody is told (no FIN, no RST), so each end notices only
through its own heartbeats. New connections made during the cut are accepted
and black-holed too. `heal()` closes every connection that lived through the
cut (both ends have long given up on them) and relays new ones again.
"""
from __future__ import annotations

import socket
import threading

from tests.helpers import free_port


class CuttableProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._links: list[tuple[socket.socket, socket.socket]] = []
        self._listener = socket.create_server((host, self.port))
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="netcut-accept").start()

    def cut(self) -> None:
        self._cut.set()

    def heal(self) -> None:
        with self._lock:
            links, self._links = self._links, []
        for pair in links:
            for end in pair:
                _close(end)
        self._cut.clear()

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        self.heal()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._links.append((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True, name="netcut-pump").start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                if not self._cut.is_set():
                    _close(dst)  # an orderly close passes only while the link is up
                return
            if self._cut.is_set():
                continue  # lost on the way
            try:
                dst.sendall(data)
            except OSError:
                return


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
