"""A loopback TCP proxy whose connections a test can cut, both sides at once; and, for AMQP,
one that drops a chosen frame and then cuts or black-holes the connection it was on."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

UP, DOWN = "up", "down"  # client -> broker, broker -> client
Then = Literal["cut", "blackhole"]
PROTOCOL_HEADER = 8  # b"AMQP\x00\x00\x09\x01", sent by the client before any frame


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            pair = (client, upstream)
            for direction, source, sink in ((UP, client, upstream), (DOWN, upstream, client)):
                threading.Thread(
                    target=self._pump, args=(direction, source, sink, pair), daemon=True
                ).start()

    def _pump(
        self,
        direction: str,
        source: socket.socket,
        sink: socket.socket,
        pair: tuple[socket.socket, socket.socket],
    ) -> None:
        self._forward(source, sink, pair, b"")

    def _forward(
        self,
        source: socket.socket,
        sink: socket.socket,
        pair: tuple[socket.socket, socket.socket],
        pending: bytes,
    ) -> None:
        """Pass bytes on until either side closes, then close both."""
        with contextlib.suppress(OSError):
            if pending and self._passes(pair):
                sink.sendall(pending)
            while data := source.recv(65536):
                if self._passes(pair):
                    sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def _passes(self, pair: tuple[socket.socket, socket.socket]) -> bool:
        return True

    def cut(self) -> int:
        """Close every connection through the proxy, on both sides; new ones are accepted."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        return len(sockets) // 2

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.cut()


class AmqpProxy(TcpProxy):
    """Reads the AMQP frames going one way; the first method frame of the armed class and
    method is dropped, and then every connection is cut, or that one connection is
    black-holed (nothing more passes either way, nothing is closed)."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        direction: str,
        method: tuple[int, int],
        then: Then,
    ) -> None:
        self._armed = threading.Event()
        self._armed.set()
        self._direction, self._method, self._then = direction, method, then
        self._holes: set[int] = set()
        self.triggered = threading.Event()
        super().__init__(target_host, target_port)

    def _pump(
        self,
        direction: str,
        source: socket.socket,
        sink: socket.socket,
        pair: tuple[socket.socket, socket.socket],
    ) -> None:
        if direction != self._direction:
            return self._forward(source, sink, pair, b"")
        pending = b""
        header = PROTOCOL_HEADER if direction == UP else 0
        with contextlib.suppress(OSError):
            while self._armed.is_set() and (data := source.recv(65536)):
                pending += data
                out, pending, header, hit = self._frames(pending, header)
                if out:
                    sink.sendall(out)
                if hit:
                    self._armed.clear()
                    self.triggered.set()
                    if self._then == "cut":
                        self.cut()
                        return None
                    self._holes.add(id(pair))
                    pending = b""
        return self._forward(source, sink, pair, pending)

    def _frames(self, data: bytes, header: int) -> tuple[bytes, bytes, int, bool]:
        """(what may pass, what waits for more bytes, header bytes still due, hit)."""
        out = data[:header]
        data, header = data[header:], max(0, header - len(data))
        while len(data) >= 7:
            end = 7 + int.from_bytes(data[3:7], "big") + 1
            if len(data) < end:
                break
            frame, data = data[:end], data[end:]
            method = (int.from_bytes(frame[7:9], "big"), int.from_bytes(frame[9:11], "big"))
            if frame[0] == 1 and method == self._method:  # a method frame: the armed one
                return out, data, header, True
            out += frame
        return out, data, header, False

    def _passes(self, pair: tuple[socket.socket, socket.socket]) -> bool:
        return id(pair) not in self._holes  # a black-holed connection passes nothing
