"""Generated HTTP requests for the bot's endpoint: hostile framing, headers, bodies, paths.

A `FuzzRequest` is drawn by hypothesis (`fuzz_requests`) and turned into bytes at send time
(`render`), so a request meant to be correctly signed carries a fresh timestamp however long
the run. The bodies go from random bytes to Slack's own shapes with one part broken
(slack_shapes.py). Used by tests/slack/test_surface_http_fuzz.py (a few hundred
examples) and tests/bench/bench_http_fuzz.py (more, with figures).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from hypothesis import strategies as st

from bot.sim.slack.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

from support.rawhttp import Answer, Header, chunked, exchange, head
from support.slack_shapes import bodies, mostly

PATHS = ["/slack/events", "/healthz", "/readyz", "/metrics", "/", "/slack/events/", "/slack"]
METHODS = ["POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "post", "FOO"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
    "application/x-www-form-urlencoded; charset=latin-1",
    "*/*",
]


class Signing(StrEnum):
    """How the request's signature headers are made."""

    NONE = "none"  # no signature headers at all
    VALID = "valid"  # what Slack would send
    GARBAGE = "garbage"  # drawn header values, any bytes
    STALE = "stale"  # correct digest, timestamp outside the window
    DUPLICATED = "duplicated"  # correct, but each header sent twice


class Framing(StrEnum):
    """How the body's end is told."""

    LENGTH = "length"
    CHUNKED = "chunked"


@dataclass(frozen=True)
class FuzzRequest:
    """One request, before signing."""

    method: str
    target: str
    content_type: str | None
    body: bytes
    signing: Signing
    framing: Framing = Framing.LENGTH
    garbage: tuple[bytes, bytes] = (b"", b"")
    extra: tuple[Header, ...] = ()

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 300 else self.body[:300] + b"..."
        return (
            f"FuzzRequest({self.method} {self.target!r}, {self.content_type!r}, "
            f"{self.signing.value}, {self.framing.value}, {len(self.body)} bytes: {body!r}, "
            f"garbage={self.garbage!r}, extra={self.extra!r})"
        )


def render(request: FuzzRequest, secret: str, now: int) -> tuple[bytes, list[bytes]]:
    """The request's head and body pieces, signed as its `signing` says at time `now`."""
    headers: list[Header] = []
    if request.content_type is not None:
        headers.append(("Content-Type", request.content_type))
    stamp = now - 400 if request.signing is Signing.STALE else now
    signature = sign(request.body, stamp, secret)
    if request.signing in (Signing.VALID, Signing.STALE, Signing.DUPLICATED):
        times = 2 if request.signing is Signing.DUPLICATED else 1
        headers += [(TIMESTAMP_HEADER, str(stamp))] * times
        headers += [(SIGNATURE_HEADER, signature)] * times
    elif request.signing is Signing.GARBAGE:
        headers += [(TIMESTAMP_HEADER, request.garbage[0]), (SIGNATURE_HEADER, request.garbage[1])]
    headers += list(request.extra)
    if request.framing is Framing.CHUNKED:
        headers.append(("Transfer-Encoding", "chunked"))
        return head(request.method, request.target, headers), list(chunked(request.body, 97))
    headers.append(("Content-Length", str(len(request.body))))
    return head(request.method, request.target, headers) + request.body, []


_content_types = st.one_of(st.none(), st.sampled_from(CONTENT_TYPES))
_garbage_header = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b"1" * 5000, b"\xb9\xb2\xb3", b"-1", b"1.5", b"", b"v0=" + b"f" * 64]),
)
_extra_headers = st.lists(
    st.sampled_from(
        [
            ("X-Slack-Retry-Num", "1"),
            ("X-Slack-Retry-Num", "x" * 100),
            ("X-Slack-Retry-Reason", "http_timeout"),
            ("Accept", "application/openmetrics-text; version=1.0.0"),
            ("Accept", "\x7f;;q=x"),
            ("Accept-Encoding", "gzip"),
            ("Expect", "100-continue"),
            ("Connection", "close"),
            ("X-Forwarded-For", "1.2.3.4"),
            ("Content-Encoding", "gzip"),
        ]
    ),
    max_size=3,
).map(tuple)
_targets = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from(PATHS).map(lambda p: p + "?x=1&payload=%7B"),
    st.text(alphabet=st.characters(codec="ascii", exclude_characters=" \r\n"), max_size=30).map(
        lambda t: "/" + quote(t, safe="/?&=%")
    ),
    st.sampled_from(["*", "http://127.0.0.1/slack/events", "/%2e%2e/%2e%2e/etc/passwd"]),
)


@st.composite
def fuzz_requests(draw: st.DrawFn) -> FuzzRequest:
    """A request to the bot: mostly POST /slack/events, mostly signed, all sorts of bodies."""
    events = draw(st.integers(0, 9)) < 7
    method = "POST" if events else draw(st.sampled_from(METHODS))
    target = "/slack/events" if events else draw(_targets)
    natural, body = draw(bodies)
    # Mostly the content type that goes with the body, as Slack sends it.
    content_type = draw(mostly(st.just(natural), _content_types))
    signing = draw(
        st.sampled_from(
            [Signing.VALID] * 6 + [Signing.NONE, Signing.GARBAGE, Signing.STALE, Signing.DUPLICATED]
        )
    )
    return FuzzRequest(
        method=method,
        target=target,
        content_type=content_type,
        body=body,
        signing=signing,
        framing=draw(st.sampled_from([Framing.LENGTH] * 4 + [Framing.CHUNKED])),
        garbage=(draw(_garbage_header), draw(_garbage_header)),
        extra=draw(_extra_headers),
    )


# ---------------------------------------------------------------------------- sending


@dataclass
class Tally:
    """Requests sent and answers seen, by status."""

    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0  # the server closed the connection without an answer
    hung: int = 0  # no answer within the timeout
    server_errors: list[FuzzRequest] = field(default_factory=list)
    hangs: list[FuzzRequest] = field(default_factory=list)

    @property
    def tried(self) -> int:
        return sum(self.statuses.values()) + self.unanswered + self.hung

    @property
    def five_xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def send(
    port: int, request: FuzzRequest, secret: str, now: int, tally: Tally, *, timeout: float = 10
) -> Answer | None:
    """Send one request over a new connection; count what came back (a timeout is raised)."""
    first, rest = render(request, secret, now)
    try:
        answer, _ = exchange(port, first, rest, timeout=timeout)
    except TimeoutError:
        tally.hung += 1
        tally.hangs.append(request)
        raise
    if answer is None:
        tally.unanswered += 1
    else:
        tally.statuses[answer.status] += 1
        if answer.status >= 500:
            tally.server_errors.append(request)
    return answer
