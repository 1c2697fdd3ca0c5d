"""Socket Mode in process: the real handler connected to the Socket Mode stand-in.

The handler opens its WebSocket with the app token through the runtime's WebClient, and the
same listeners answer envelopes that answered signed HTTP: the ack carries what the HTTP
response carried (a command's answer, a modal's inline errors), and what follows goes through
response_url as before. The whole process is tested in tests/test_socket_process.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_harness import (
    APPROVER,
    ENI,
    REQUESTER,
    Harness,
    HarnessFactory,
    submit_request,
)
from test_surface_modal_and_home import open_modal, values

from bot.config import ConfigError
from bot.requests.states import Status
from bot.sim.ecs import FaultSpec
from bot.sim.slack.envelopes import EnvelopeType
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, OPEN_METHOD, SocketModeStandIn
from bot.sim.slack.socket_sender import SocketModeSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN
from bot.slack.socket import connect, socket_handler, stale_notice_bound

from support.waiting import wait_until

CONTRACT_NOTICE = 15.0  # CONTRACT.md: a connection closed without a close frame, noticed within
# Well under Slack's 3 s and well over an in-process ack (tens of ms), for a loaded machine.
REFRESH_ACK_TIMEOUT = 2.0


@dataclass
class Socket:
    """A harness whose sender speaks Socket Mode to the connected handler."""

    harness: Harness
    stand_in: SocketModeStandIn
    handler: SocketModeHandler


SocketFactory = Callable[..., Socket]


@pytest.fixture
def make_socket(make_harness: HarnessFactory) -> Iterator[SocketFactory]:
    """Build connected Socket Mode surfaces (`make(ack_timeout=…)`), closed after the test."""
    made: list[Socket] = []

    def make(*, ack_timeout: float = 3.0) -> Socket:
        harness = make_harness(slack_app_token=DEFAULT_APP_TOKEN)
        stand_in = SocketModeStandIn(harness.slack, ack_timeout=ack_timeout).start()
        handler = socket_handler(harness.runtime, app=harness.server.app)
        connect(handler)
        stand_in.wait_connected()
        harness.sender.close()
        surface = Socket(replace(harness, sender=SocketModeSender(stand_in)), stand_in, handler)
        made.append(surface)
        return surface

    yield make
    for surface in made:
        surface.handler.close()  # type: ignore[no-untyped-call]
        surface.stand_in.stop()


@pytest.fixture
def socket(make_socket: SocketFactory) -> Socket:
    """One connected surface with Slack's 3-second ack timeout."""
    return make_socket()


def test_socket_mode_needs_the_app_token(harness: Harness) -> None:
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        socket_handler(harness.runtime, app=harness.server.app)


def test_the_connection_is_opened_with_the_app_token_on_the_runtime_client(
    socket: Socket,
) -> None:
    (opened,) = socket.harness.slack.calls(OPEN_METHOD)
    assert opened.ok  # the stand-in takes the app-level token only: this call carried it
    client = socket.handler.client.web_client
    assert client is socket.harness.runtime.slack
    # The app token goes with that one call: the shared client still acts as the bot (the
    # stand-in refuses the app token on bot methods, as Slack does).
    assert client.token == DEFAULT_BOT_TOKEN
    assert client.auth_test()["user_id"]
    (connection,) = socket.stand_in.connections()
    assert connection.live and connection.hello_at is not None


def test_an_app_token_slack_refuses_is_a_configuration_error(
    make_harness: HarnessFactory,
) -> None:
    harness = make_harness(slack_app_token="xapp-1-A0SIMAPP-1-revoked")
    with SocketModeStandIn(harness.slack) as stand_in:
        handler = socket_handler(harness.runtime, app=harness.server.app)
        try:
            with pytest.raises(ConfigError, match="invalid_auth") as refused:
                connect(handler)
        finally:
            handler.close()  # type: ignore[no-untyped-call]
        assert stand_in.connections() == []
    assert "revoked" not in str(refused.value)


def test_the_keepalive_notices_a_dead_path_within_the_contract(socket: Socket) -> None:
    # slack_sdk's builtin client calls a connection stale after 4 pong-less intervals, checked
    # once per interval; its default interval would take up to 51 s.
    assert stale_notice_bound(socket.handler.client.ping_interval) <= CONTRACT_NOTICE
    # The interval reached the client: it pings the live connection on its own.
    socket.stand_in.wait_for(lambda s: len(s.connections()[0].pings) >= 2, timeout=30)


def test_after_a_refresh_the_new_connection_is_read_at_once(make_socket: SocketFactory) -> None:
    # Slack waits 3 s for an ack; this stand-in redelivers after REFRESH_ACK_TIMEOUT.
    socket = make_socket(ack_timeout=REFRESH_ACK_TIMEOUT)
    for connections in range(2, 5):
        socket.stand_in.disconnect()
        socket.stand_in.wait_connected(connections)
        socket.harness.command("help")  # delivered on the new connection right after hello
        sent = socket.harness.sender.last_envelope  # type: ignore[attr-defined]
        envelope = socket.stand_in.envelope(sent.envelope_id)
        assert len(envelope.attempts) == 1, envelope.acks  # acked in time: never sent again
        assert envelope.ack is not None and envelope.ack.connection_id == connections


def test_the_command_ack_carries_the_answer_and_the_rest_follows(socket: Socket) -> None:
    harness = socket.harness
    usage = harness.command("help")
    assert "/eni detach" in str(usage.json()["blocks"])
    request_id = submit_request(harness)  # ack "Checking…", then response_url
    envelope = harness.sender.last_envelope  # type: ignore[attr-defined]
    assert envelope.type is EnvelopeType.SLASH_COMMANDS and envelope.accepts_response_payload
    ack = socket.stand_in.envelope(envelope.envelope_id).ack
    assert ack is not None and "Checking" in str(ack.payload)
    (request,) = harness.requests()
    assert request.id == request_id and request.status == Status.PENDING.value


def test_the_ack_does_not_wait_for_a_slow_ecs(socket: Socket) -> None:
    harness = socket.harness
    latency = 4.0
    harness.ecs.faults.add(
        FaultSpec(kind="latency", action="DescribeNetworkInterfaces", seconds=latency)
    )
    started = time.monotonic()
    harness.command(f"detach {ENI} cleanup")
    envelope = harness.sender.last_envelope  # type: ignore[attr-defined]
    ack = socket.stand_in.envelope(envelope.envelope_id).ack
    assert ack is not None and ack.latency < latency / 2, ack
    post = harness.wait_response()
    assert "waiting for approval" in post.text
    assert time.monotonic() - started >= latency


def test_modal_errors_come_back_in_the_ack(socket: Socket) -> None:
    harness = socket.harness
    view = open_modal(harness)
    answer = harness.sender.submit_view(view.id, values(eni="eni-x"), user_id=REQUESTER)
    assert answer.json()["response_action"] == "errors"
    shown = harness.slack.view(view.id)
    assert shown is not None and "eni_id" in shown.errors
    assert harness.count_rows() == (0, 0)


def test_a_click_and_an_event_arrive_in_their_envelopes(socket: Socket) -> None:
    harness = socket.harness
    card = harness.post_card(submit_request(harness))
    click = harness.sender.click(card, "approve_request", user_id=APPROVER)
    assert click.content == b""  # a bare ack; the decision follows in the thread
    assert harness.sender.last_envelope.type is EnvelopeType.INTERACTIVE  # type: ignore[attr-defined]
    # The decision is post-ack work: wait for it rather than race it.
    wait_until(lambda: harness.requests()[0].status == Status.APPROVED.value)

    harness.sender.app_home_opened(APPROVER)
    event = harness.sender.last_envelope  # type: ignore[attr-defined]
    assert event.type is EnvelopeType.EVENTS_API
    assert event.message(0)["retry_attempt"] == 0
    harness.slack.wait_for(lambda s: s.home(APPROVER))


def test_a_command_whose_ack_was_lost_is_redelivered_and_stored_once(
    make_socket: SocketFactory,
) -> None:
    socket = make_socket(ack_timeout=0.5)
    harness = socket.harness
    socket.stand_in.fail_next_ack()
    harness.command(f"detach {ENI} cleanup", user=REQUESTER)
    envelope = socket.stand_in.envelope(harness.sender.last_envelope.envelope_id)  # type: ignore[attr-defined]
    assert [a.retry_attempt for a in envelope.attempts] == [0, 1]
    url = harness.last_response_url()
    answers = harness.slack.wait_for(
        lambda s: found if len(found := s.responses(url)) >= 2 else None
    )
    texts = sorted(a.body.get("text", "") for a in answers)
    assert any("waiting for approval" in t for t in texts), texts
    assert any("already" in t for t in texts), texts  # the repeat is recognised as Slack's retry
    assert len(harness.requests()) == 1
