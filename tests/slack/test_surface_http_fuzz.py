"""Generated requests against the real server: never a 5xx, and healthy afterwards.

Methods, paths, framing (length, chunked), content types, signature headers (none, valid,
stale, duplicated, any bytes) and bodies from random bytes to Slack's own shapes with one part
broken (tests/support/http_fuzz.py). A signed request reaches Bolt and the listeners, so the
shapes a listener reads are fuzzed too, not only the signature check. The bigger run with
figures is tests/bench/bench_http_fuzz.py.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from slack_harness import SECRET, Harness

from bot.slack.ids import ActionId, CallbackId

from support.http_fuzz import Framing, FuzzRequest, Signing, Tally, fuzz_requests, send
from support.rawhttp import exchange, head
from support.slack_shapes import FORM


def _probe(harness: Harness, path: str) -> int:
    answer, _ = exchange(harness.server.port, head("GET", path, []), timeout=10)
    assert answer is not None
    return answer.status


def _click(value: str) -> bytes:
    return (
        b'payload={"type":"block_actions","user":{"id":"U0APPROVER1"},"actions":'
        b'[{"action_id":"'
        + ActionId.APPROVE.value.encode()
        + b'","value":"'
        + value.encode()
        + b'"}],"container":{"type":"message"}}'
    )


def _submit(state: str) -> bytes:
    view = '{"type":"modal","callback_id":"' + CallbackId.DETACH_MODAL.value + '","state":' + state
    return b'payload={"type":"view_submission","user":"U0REQUESTER","view":' + view.encode() + b"}}"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=fuzz_requests())
@example(request=FuzzRequest("POST", "/slack/events", None, _click("1" * 5000), Signing.VALID))
@example(request=FuzzRequest("POST", "/slack/events", FORM, _submit('"x"'), Signing.VALID))
@example(
    request=FuzzRequest("POST", "/slack/events", FORM, _submit('{"values":[1]}'), Signing.VALID)
)
@example(
    request=FuzzRequest(
        "POST", "/slack/events", FORM, _submit('{"values":{"region":"x"}}'), Signing.VALID
    )
)
@example(
    request=FuzzRequest(
        "POST",
        "/slack/events",
        FORM,
        _submit('{"values":{"region":{"region":{"type":"static_select","selected_option":7}}}}'),
        Signing.VALID,
        Framing.CHUNKED,
    )
)
@example(
    request=FuzzRequest(
        "POST",
        "/slack/events",
        FORM,
        b'payload={"type":"view_submission","view":{"callback_id":"detach_modal","state":"x"}}',
        Signing.VALID,
    )
)
def test_generated_requests_never_get_a_server_error(
    harness: Harness, request: FuzzRequest
) -> None:
    tally = Tally()
    answer = send(harness.server.port, request, SECRET, int(time.time()), tally)
    assert answer is not None, "the server closed the connection without answering"
    assert answer.status < 500, answer
    assert _probe(harness, "/healthz") == 200
