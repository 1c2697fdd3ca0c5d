"""HTTP/1.1 over a bare socket, for requests no polite client sends.

httpx and http.client fix up what a test needs broken: they refuse non-ASCII header values,
merge or drop duplicate headers, compute Content-Length themselves and send the body before
reading an answer. Here the test writes the exact bytes, may stop after the headers, and reads
whatever the server answers (parsed by http.client's response reader).
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Header = tuple[bytes | str, bytes | str]


@dataclass(frozen=True)
class Answer:
    """What the server sent back: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def head(method: str, target: bytes | str, headers: Sequence[Header]) -> bytes:
    """The request line and headers, ending with the blank line."""
    lines = [_bytes(method) + b" " + _bytes(target) + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [_bytes(name) + b": " + _bytes(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked(body: bytes, size: int = 65536) -> Iterable[bytes]:
    """`body` in Transfer-Encoding: chunked framing, `size` bytes per chunk, then the last chunk."""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


def read_answer(sock: socket.socket, method: str = "POST") -> Answer | None:
    """The next response on `sock`; None when the server closed without answering."""
    # The method matters: the answer to HEAD has a Content-Length but no body.
    response = http.client.HTTPResponse(sock, method=method)
    try:
        response.begin()
        body = response.read()
    except (http.client.RemoteDisconnected, ConnectionError):
        return None
    finally:
        response.close()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def exchange(
    port: int,
    first: bytes,
    rest: Iterable[bytes] = (),
    *,
    timeout: float = 10.0,
) -> tuple[Answer | None, int]:
    """Send `first`, then the pieces of `rest` until the server stops taking them; read the answer.

    Returns the answer and how many bytes the server let us send. A server that refuses early
    answers and closes: sending then fails with a reset, which is expected and not an error.
    The answer is read with `timeout`, so a server that waits for bytes never sent shows up as
    a timeout in the test instead of a hang.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sent = 0
        try:
            sock.sendall(first)
            sent += len(first)
            for piece in rest:
                sock.sendall(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        method = first.split(b" ", 1)[0].decode("latin-1").upper()
        try:
            return read_answer(sock, method), sent
        except ConnectionResetError:
            return None, sent
