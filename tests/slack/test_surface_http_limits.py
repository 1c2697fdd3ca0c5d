"""What an unauthenticated sender can make `POST /slack/events` read, and trip over.

Bodies over 1 MiB are refused with 413 before they are read: by waitress, whose body limit is
the bot's, and by the WSGI app itself under any server (checked here on the app directly, with
a stream that counts what was read). Missing, malformed or absurd signature headers are 401,
never a 5xx, and /healthz answers afterwards. Every request here goes over a real socket to
the real server, byte for byte as written (tests/support/rawhttp.py).
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from slack_harness import SECRET, Harness

from bot.sim.slack import payloads
from bot.sim.slack.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.slack.intake import MAX_BODY_BYTES
from bot.slack.server import EVENTS_PATH, SlackWsgiApp

from support.rawhttp import Answer, Header, chunked, exchange, head

MIB = 1024 * 1024
HELP = payloads.form_body(
    {"command": "/eni", "text": "help", "user_id": "U0REQUESTER", "channel_id": "C0ENIOPS"}
)


def signed_headers(body: bytes, *, now: int | None = None) -> list[Header]:
    stamp = int(time.time()) if now is None else now
    return [
        ("Content-Type", payloads.FORM),
        (TIMESTAMP_HEADER, str(stamp)),
        (SIGNATURE_HEADER, sign(body, stamp, SECRET)),
    ]


def post(harness: Harness, headers: list[Header], body: bytes = b"", **kw: Any) -> Answer:
    answer, _ = exchange(harness.server.port, head("POST", EVENTS_PATH, headers) + body, **kw)
    assert answer is not None, "the server closed the connection without answering"
    return answer


def assert_healthy(harness: Harness) -> None:
    answer, _ = exchange(harness.server.port, head("GET", "/healthz", []))
    assert answer is not None and answer.status == 200


def test_the_limit_is_one_mebibyte() -> None:
    assert MAX_BODY_BYTES == MIB


# ---------------------------------------------------------------------------- body size


def test_a_body_declared_over_the_limit_gets_413_before_it_is_sent(harness: Harness) -> None:
    headers = [*signed_headers(b"x"), ("Content-Length", str(2 * MIB))]
    # Only the headers go out: a server that waited for the body would time out here.
    answer = post(harness, headers, timeout=5)
    assert answer.status == 413
    assert_healthy(harness)


def test_expect_continue_over_the_limit_is_413_not_an_invitation(harness: Harness) -> None:
    # curl sends large bodies this way; "100 Continue" would ask for the 2 MiB we refuse.
    headers = [("Content-Length", str(2 * MIB)), ("Expect", "100-continue")]
    answer = post(harness, headers, timeout=5)
    assert answer.status == 413
    assert_healthy(harness)


def test_expect_continue_within_the_limit_is_served(harness: Harness) -> None:
    headers = [
        *signed_headers(HELP),
        ("Content-Length", str(len(HELP))),
        ("Expect", "100-continue"),
    ]
    answer = post(harness, headers, HELP)  # http.client's reader skips the interim 100
    assert answer.status == 200 and b"How to use" in answer.body


def test_expect_continue_without_a_body_is_answered_at_once(harness: Harness) -> None:
    # waitress would send "100 Continue" and then wait for a body of length 0 forever.
    headers = [*signed_headers(b""), ("Content-Length", "0"), ("Expect", "100-continue")]
    assert post(harness, headers, timeout=5).status < 500


def test_a_body_of_exactly_the_limit_is_read_and_checked(harness: Harness) -> None:
    at_limit = b"a" * MAX_BODY_BYTES
    answer = post(harness, [("Content-Length", str(len(at_limit)))], at_limit)
    assert answer.status == 401  # read whole, then refused for its (missing) signature
    over = post(harness, [("Content-Length", str(MAX_BODY_BYTES + 1))], timeout=5)
    assert over.status == 413


def test_a_chunked_body_over_the_limit_gets_413(harness: Harness) -> None:
    # 32 MiB: more than the server's limit plus every socket buffer between us, so a server
    # that stops reading at the limit stops us from sending it all.
    body = b"payload=" + b"b" * (32 * MIB)
    first = head("POST", EVENTS_PATH, [*signed_headers(body), ("Transfer-Encoding", "chunked")])
    answer, sent = exchange(harness.server.port, first, chunked(body))
    assert answer is not None and answer.status == 413
    assert sent < len(body)
    assert_healthy(harness)


def test_a_signed_chunked_body_under_the_limit_is_served(harness: Harness) -> None:
    first = head("POST", EVENTS_PATH, [*signed_headers(HELP), ("Transfer-Encoding", "chunked")])
    answer, _ = exchange(harness.server.port, first, chunked(HELP, size=7))
    assert answer is not None and answer.status == 200
    assert b"How to use" in answer.body


def test_a_content_length_shorter_than_the_body_reads_only_what_it_declares(
    harness: Harness,
) -> None:
    # Signed over the whole body, declared as its first half: the half fails the signature;
    # the other half is then read as the next request, which is garbage (400), not a 5xx.
    headers = [*signed_headers(HELP), ("Content-Length", str(len(HELP) // 2))]
    answer, _ = exchange(harness.server.port, head("POST", EVENTS_PATH, headers) + HELP)
    assert answer is not None and answer.status == 401
    assert_healthy(harness)


def test_a_body_that_never_arrives_leaves_the_server_healthy(harness: Harness) -> None:
    headers = [*signed_headers(HELP), ("Content-Length", str(MAX_BODY_BYTES))]
    with pytest.raises(TimeoutError):
        exchange(harness.server.port, head("POST", EVENTS_PATH, headers) + HELP, timeout=1)
    assert_healthy(harness)


@pytest.mark.parametrize("length", ["-1", "1e3", "0x10", " 12", "12, 12", "١٢", "9" * 40], ids=repr)
def test_a_malformed_content_length_is_a_client_error(harness: Harness, length: str) -> None:
    raw = length.encode("utf-8")
    answer = post(harness, [("Content-Length", raw)], b"x" * 12, timeout=5)
    assert 400 <= answer.status < 500
    assert_healthy(harness)


# The app itself, under a server that does not buffer the body first (waitress does).


def _environ(stream: io.BytesIO, **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": payloads.FORM,
        "wsgi.input": stream,
        **extra,
    }


def _call(harness: Harness, environ: dict[str, Any]) -> str:
    app = SlackWsgiApp(harness.server.app, harness.runtime)
    seen: list[str] = []
    b"".join(app(environ, lambda status, headers, exc_info=None: seen.append(status)))  # type: ignore[arg-type, misc]
    return seen[0]


def test_the_app_refuses_a_declared_oversize_body_without_reading_it(harness: Harness) -> None:
    stream = io.BytesIO(b"x" * (2 * MIB))
    status = _call(harness, _environ(stream, CONTENT_LENGTH=str(2 * MIB)))
    assert status.startswith("413")
    assert stream.tell() == 0


def test_the_app_reads_at_most_one_byte_past_the_limit_of_an_undeclared_body(
    harness: Harness,
) -> None:
    # A server that de-chunks as it goes passes no Content-Length and marks the input as ending.
    stream = io.BytesIO(b"x" * (3 * MIB))
    status = _call(harness, _environ(stream, **{"wsgi.input_terminated": True}))
    assert status.startswith("413")
    assert stream.tell() == MAX_BODY_BYTES + 1


def test_the_app_reads_no_undeclared_body_from_a_server_that_does_not_end_it(
    harness: Harness,
) -> None:
    stream = io.BytesIO(HELP)
    assert _call(harness, _environ(stream)).startswith("401")
    assert stream.tell() == 0


def test_the_app_refuses_a_malformed_content_length(harness: Harness) -> None:
    stream = io.BytesIO(HELP)
    assert _call(harness, _environ(stream, CONTENT_LENGTH="5" * 5000)).startswith("400")
    assert stream.tell() == 0


# ---------------------------------------------------------------------------- signature headers

NOW = str(int(time.time()))
GOOD_SIGNATURE = "v0=" + "0" * 64

ABSURD_TIMESTAMPS: list[Any] = [
    pytest.param(b"1" * 5000, id="5000-digits"),
    pytest.param(b"0" * 5000, id="5000-zeros"),
    pytest.param(b"\xb9\xb2\xb3", id="superscript-digits-latin1"),
    pytest.param("١٧٠٠٠٠٠٠٠٠".encode(), id="arabic-indic-digits-utf8"),
    pytest.param(b"-1", id="negative"),
    pytest.param(b"1700000000.5", id="float"),
    pytest.param(b"1e9", id="exponent"),
    pytest.param(b"1_700_000_000", id="underscores"),
    pytest.param(b"+1700000000", id="plus-sign"),
    pytest.param(b"17 00", id="inner-space"),
    pytest.param(b"", id="empty"),
    pytest.param(b"9" * 30, id="far-future"),
    pytest.param(b"nan", id="nan"),
]


@pytest.mark.parametrize("timestamp", ABSURD_TIMESTAMPS)
def test_an_absurd_timestamp_is_401(harness: Harness, timestamp: bytes) -> None:
    headers: list[Header] = [
        ("Content-Type", payloads.FORM),
        (TIMESTAMP_HEADER, timestamp),
        (SIGNATURE_HEADER, GOOD_SIGNATURE),
        ("Content-Length", str(len(HELP))),
    ]
    assert post(harness, headers, HELP).status == 401
    assert_healthy(harness)


def _correct(body: bytes) -> tuple[str, str]:
    stamp = int(time.time())
    return str(stamp), sign(body, stamp, SECRET)


ABSURD_SIGNATURES: list[Any] = [
    pytest.param(b"v0=\xe9" + b"0" * 63, id="non-ascii"),
    pytest.param("v0=ünïcode".encode(), id="utf8"),
    pytest.param(b"v0=" + b"a" * 30_000, id="huge"),
    pytest.param(b"", id="empty"),
    pytest.param(b"v0=", id="prefix-only"),
    pytest.param(b"v1=" + b"0" * 64, id="other-version"),
    pytest.param(b"v0=" + b"0" * 63 + b"\xff", id="last-byte-not-hex"),
]


@pytest.mark.parametrize("signature", ABSURD_SIGNATURES)
def test_an_absurd_signature_is_401(harness: Harness, signature: bytes) -> None:
    stamp, _ = _correct(HELP)
    headers: list[Header] = [
        ("Content-Type", payloads.FORM),
        (TIMESTAMP_HEADER, stamp),
        (SIGNATURE_HEADER, signature),
        ("Content-Length", str(len(HELP))),
    ]
    assert post(harness, headers, HELP).status == 401
    assert_healthy(harness)


def test_headers_over_64_kib_are_431_from_the_parser(harness: Harness) -> None:
    stamp, _ = _correct(HELP)
    headers: list[Header] = [(TIMESTAMP_HEADER, stamp), (SIGNATURE_HEADER, "v0=" + "a" * 70_000)]
    assert post(harness, headers, timeout=5).status == 431
    assert_healthy(harness)


@pytest.mark.parametrize("header", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_bytes_http_forbids_in_a_header_are_400_from_the_parser(
    harness: Harness, header: str
) -> None:
    # A NUL or another control byte makes the header invalid HTTP: waitress answers 400 itself.
    stamp, signature = _correct(HELP)
    values = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature}
    values[header] = values[header][:5] + "\x00\x1b" + values[header][5:]
    headers: list[Header] = [*values.items(), ("Content-Length", str(len(HELP)))]
    assert post(harness, headers, HELP).status == 400
    assert_healthy(harness)


def test_the_correct_signature_in_upper_case_hex_is_401(harness: Harness) -> None:
    stamp, signature = _correct(HELP)
    headers: list[Header] = [
        (TIMESTAMP_HEADER, stamp),
        (SIGNATURE_HEADER, signature.upper()),
        ("Content-Length", str(len(HELP))),
    ]
    assert post(harness, headers, HELP).status == 401


@pytest.mark.parametrize("which", ["timestamp", "signature", "both"])
def test_duplicated_signature_headers_are_401_even_when_each_is_correct(
    harness: Harness, which: str
) -> None:
    stamp, signature = _correct(HELP)
    headers: list[Header] = [("Content-Type", payloads.FORM), ("Content-Length", str(len(HELP)))]
    headers += [(TIMESTAMP_HEADER, stamp)] * (2 if which in ("timestamp", "both") else 1)
    headers += [(SIGNATURE_HEADER, signature)] * (2 if which in ("signature", "both") else 1)
    assert post(harness, headers, HELP).status == 401
    assert_healthy(harness)


def test_padded_header_values_are_what_http_allows(harness: Harness) -> None:
    # HTTP strips spaces and tabs around a header value; the request is Slack's, accepted.
    stamp, signature = _correct(HELP)
    headers: list[Header] = [
        ("Content-Type", payloads.FORM),
        (TIMESTAMP_HEADER, f" \t{stamp} "),
        (SIGNATURE_HEADER, f"{signature}\t"),
        ("Content-Length", str(len(HELP))),
    ]
    answer = post(harness, headers, HELP)
    assert answer.status == 200 and b"How to use" in answer.body


def test_a_signed_body_that_is_not_utf8_is_refused_without_a_server_error(
    harness: Harness,
) -> None:
    body = b"command=%2Feni&text=\xff\xfe"
    answer = post(harness, [*signed_headers(body), ("Content-Length", str(len(body)))], body)
    assert 400 <= answer.status < 500
    assert_healthy(harness)
