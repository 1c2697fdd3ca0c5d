"""Generated HTTP requests for the bot's endpoint: hostile framing, headers, bodies, paths.

A `FuzzRequest` is drawn by hypothesis (`fuzz_requests`) and turned into bytes at send time
(`render`), so a request meant to be correctly signed carries a fresh timestamp however long
the run. The bodies go from random bytes to Slack's own shapes with one part broken: a form
whose `payload` is not JSON, JSON whose objects are lists, a button value of 5,000 digits, a
view whose state is a string. Used by tests/slack/test_surface_http_fuzz.py (a few hundred
examples) and tests/bench/bench_http_fuzz.py (more, with figures).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from bot.sim.slack.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.slack.ids import COMMAND, ActionId, CallbackId, EventType, ModalField

from support.rawhttp import Answer, Header, chunked, exchange, head

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


# ---------------------------------------------------------------------------- JSON shapes

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1", "#1", "0", "-1", "1" * 5000, "9" * 30, "<!channel>", "eni-1", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` seven times in eight (one_of would draw each branch equally often)."""
    # Not 0 or 7: hypothesis draws the ends of a range more often than the middle.
    return st.integers(0, 7).flatmap(lambda k: other if k == 5 else usual)


# A value where Slack sends an object: mostly the object (so the request gets past the shape
# check into the listeners, with its leaves broken), sometimes anything at all.
def _object_or_not(
    fields: dict[str, Any], required: dict[str, Any] | None = None
) -> st.SearchStrategy[Any]:
    return mostly(st.fixed_dictionaries(required or {}, optional=fields), json_values)


_people = st.sampled_from(["U0REQUESTER", "U0APPROVER1", "U0APPROVER2", "U0OUTSIDER"])
ids = st.one_of(
    st.sampled_from(["U0REQUESTER", "U0APPROVER1", "U0APPROVER2", "C0ENIOPS", "", "W1"]),
    st.text(max_size=20),
    json_values,
)
user = _object_or_not(
    {"username": st.text(max_size=10), "team_id": ids}, required={"id": mostly(_people, ids)}
)
action = _object_or_not(
    {
        "value": st.one_of(st.sampled_from(["1", "2", "#1", "1" * 5000, "-3"]), json_values),
        "block_id": st.text(max_size=10),
        "type": st.sampled_from(["button", "static_select", "x"]),
    },
    required={
        "action_id": st.one_of(st.sampled_from([a.value for a in ActionId]), st.text(max_size=10))
    },
)
container = _object_or_not(
    {
        "type": st.sampled_from(["message", "view", "x"]),
        "channel_id": ids,
        "message_ts": st.text(max_size=20),
        "view_id": ids,
    }
)
view_state = _object_or_not(
    {
        "values": _object_or_not(
            {
                f.value: _object_or_not(
                    {
                        f.value: _object_or_not(
                            {
                                "type": st.sampled_from(["plain_text_input", "static_select"]),
                                "value": st.one_of(st.text(max_size=600), json_values),
                                "selected_option": _object_or_not({"value": json_values}),
                            }
                        )
                    }
                )
                for f in ModalField
            }
        )
    }
)
view = _object_or_not(
    {
        "id": ids,
        "private_metadata": st.one_of(
            st.just('{"channel":"C0ENIOPS"}'), st.text(max_size=40), json_values.map(json.dumps)
        ),
        "state": view_state,
    },
    required={
        "type": st.sampled_from(["modal", "home"]),
        "callback_id": st.one_of(
            st.sampled_from([c.value for c in CallbackId]), st.text(max_size=10)
        ),
    },
)
# Mostly one of the types Slack sends, sometimes anything.
_interaction_type = st.sampled_from(
    ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
)
interaction = st.fixed_dictionaries(
    {"type": mostly(_interaction_type, json_values), "user": user},
    optional={
        "team": _object_or_not({"id": ids}),
        "actions": st.one_of(st.lists(action, min_size=1, max_size=3), json_values),
        "container": container,
        "channel": _object_or_not({"id": ids}),
        "message": _object_or_not({"ts": st.text(max_size=20), "blocks": json_values}),
        "view": view,
        "response_url": st.sampled_from(["", "not a url", "http://127.0.0.1:1/x"]),
        "trigger_id": st.text(max_size=20),
        "callback_id": st.text(max_size=10),
    },
)
event = _object_or_not(
    {
        "user": ids,
        "tab": st.one_of(st.sampled_from(["home", "messages"]), json_values),
        "channel": ids,
        "bot_id": ids,
    },
    required={
        "type": st.one_of(
            st.sampled_from([e.value for e in EventType] + ["message", "app_mention"]),
            json_values,
        ),
    },
)
_envelope_type = st.sampled_from(["event_callback", "url_verification", "app_rate_limited"])
envelope = st.fixed_dictionaries(
    {"type": mostly(_envelope_type, json_values)},
    optional={
        "event": event,
        "challenge": st.one_of(st.text(max_size=40), json_values),
        "token": st.text(max_size=10),
        "team_id": ids,
        "api_app_id": ids,
        "event_id": st.text(max_size=10),
        "authorizations": st.one_of(st.lists(_object_or_not({"team_id": ids})), json_values),
    },
)

# ---------------------------------------------------------------------------- bodies

_command_text = st.one_of(
    st.sampled_from(
        [
            "help",
            "list",
            "list mine",
            "status 1",
            "status #" + "9" * 5000,
            "cancel 1",
            "retry 1",
            "detach",
            "detach eni-bp1d7r2k9m4x6c3v5n see http://evil.example <!channel>",
        ]
    ),
    st.text(max_size=200),
)
slash_fields = st.fixed_dictionaries(
    {
        "command": mostly(st.just(COMMAND), st.text(max_size=10)),
        "user_id": mostly(_people, st.text(max_size=40)),
        "channel_id": mostly(st.just("C0ENIOPS"), st.text(max_size=40)),
    },
    optional={
        "text": _command_text,
        "team_id": st.text(max_size=12),
        "trigger_id": st.text(max_size=20),
        "response_url": st.sampled_from(["", "not a url", "http://127.0.0.1:1/x"]),
        "ssl_check": st.sampled_from(["1", "0", "x"]),
        "payload": st.text(max_size=40),
    },
)


def _form(fields: dict[str, Any]) -> bytes:
    return urlencode({k: str(v) for k, v in fields.items()}).encode()


def _payload_form(value: Any) -> bytes:
    return b"payload=" + quote(json.dumps(value, allow_nan=True), safe="").encode()


def _broken(text: str, cut: int) -> bytes:
    return b"payload=" + quote(text[: max(1, len(text) - cut)], safe="").encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# (the content type Slack would send with it, body)
_slack_shaped = st.one_of(
    slash_fields.map(lambda f: (FORM, _form(f))),
    interaction.map(lambda i: (FORM, _payload_form(i))),
    interaction.map(lambda i: (FORM, _payload_form(i))),
    st.tuples(interaction.map(json.dumps), st.integers(1, 40)).map(lambda p: (FORM, _broken(*p))),
    envelope.map(lambda e: (JSON, json.dumps(e, allow_nan=True).encode())),
    envelope.map(lambda e: (JSON, json.dumps(e, allow_nan=True).encode())),
)
_anything = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=300).map(str.encode),
    json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.just(b"[" * 100_000),  # deeper than any JSON parser recurses
    st.just(b"payload=" + b"%5B" * 50_000),
    st.integers(1, 900).map(lambda k: _form({"command": COMMAND, "text": "x" * (k * 1024)})),
    st.just(b'{"type":"event_callback","event":' + b"1" * 5000 + b"}"),
).map(lambda body: (FORM, body))
# Mostly Slack's shapes, so most signed requests get past the parse into Bolt and listeners.
bodies = mostly(_slack_shaped, _anything)
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
