"""A TCP proxy in front of serve's OTLP/gRPC port that resets the connection after serve has
answered: the answer is made durable by serve, and never reaches the exporter.

It reads serve's HTTP/2 frames (RFC 9113 §4.1: a 9-byte header of length, type, flags and
stream id, then the payload) and forwards each whole, but for every ``every``-th frame that
ends a response (HEADERS with END_STREAM: gRPC's trailers), which it drops before closing
both sockets with a reset (SO_LINGER 0). The exporter sees UNAVAILABLE and resends.
"""

from __future__ import annotations

import socket
import struct
import threading

_HEADERS, _END_STREAM = 0x1, 0x1
_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class ResetProxy:
    def __init__(self, target: tuple[str, int], every: int = 3) -> None:
        self.target = target
        self.every = every
        self.answers = 0  # responses serve finished, whether forwarded or not
        self.resets = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client), daemon=True).start()

    @staticmethod
    def _upstream(client: socket.socket, server: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                server.sendall(data)
        except OSError:
            pass
        _close(server, client)

    def _downstream(self, server: socket.socket, client: socket.socket) -> None:
        buffer = b""
        try:
            while data := server.recv(65536):
                buffer += data
                while len(buffer) >= 9:
                    length = int.from_bytes(buffer[:3], "big")
                    if len(buffer) < 9 + length:
                        break
                    frame, buffer = buffer[: 9 + length], buffer[9 + length :]
                    kind, flags = frame[3], frame[4]
                    stream = int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF
                    if kind == _HEADERS and flags & _END_STREAM and stream:
                        with self._lock:
                            self.answers += 1
                            reset = self.answers % self.every == 0
                            self.resets += reset
                        if reset:
                            _close(server, client)
                            return
                    client.sendall(frame)
        except OSError:
            pass
        _close(server, client)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            sock.close()
        except OSError:
            pass
