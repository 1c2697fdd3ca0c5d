"""The Socket Mode stand-in, driven by a plain WebSocket client as an app would drive Slack's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bot.sim.slack import DEFAULT_BOT_TOKEN, SlackWebApiStandIn, payloads
from bot.sim.slack.envelopes import Closed, DisconnectReason, EnvelopeType
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, OPEN_METHOD, SocketModeStandIn
from bot.sim.slack.valve import ValvedConnection

FAST_ACK = 0.3  # the stand-in's ack timeout here, so redeliveries come quickly
WAIT = 10.0  # generous: every wait returns as soon as its condition holds


@pytest.fixture
def socket_mode(stand_in: SlackWebApiStandIn) -> Iterator[SocketModeStandIn]:
    """A Socket Mode stand-in next to the Web API stand-in, with a short ack timeout."""
    with SocketModeStandIn(stand_in, ack_timeout=FAST_ACK, max_retries=2) as server:
        yield server


def open_url(stand_in: SlackWebApiStandIn, token: str | None = DEFAULT_APP_TOKEN) -> str:
    """A WebSocket URL from `apps.connections.open`, as slack_sdk asks for one."""
    answer = WebClient(base_url=stand_in.api_url).apps_connections_open(app_token=token or "")
    return str(answer["url"])


def receive(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    """The next message, decoded."""
    message = json.loads(ws.recv(timeout=timeout))
    assert isinstance(message, dict)
    return message


@contextmanager
def connected(socket_mode: SocketModeStandIn) -> Iterator[ClientConnection]:
    """A connection whose hello has been read."""
    # A short close timeout: after a silent drop the server never answers the close frame.
    with connect(open_url(socket_mode.web_api), close_timeout=1.0) as ws:
        assert receive(ws)["type"] == "hello"
        yield ws


def command_payload(socket_mode: SocketModeStandIn, text: str = "help") -> dict[str, Any]:
    return payloads.slash_command_fields(
        socket_mode.workspace,
        command="/eni",
        text=text,
        user_id="U0REQUESTER",
        channel_id="C0ENIOPS",
        response_url=socket_mode.web_api.new_response_url(channel="C0ENIOPS", user="U0REQUESTER"),
        trigger_id="1.2.3",
    )


def ack(ws: ClientConnection, envelope_id: str, payload: dict[str, Any] | None = None) -> None:
    ws.send(json.dumps({"envelope_id": envelope_id, **({"payload": payload} if payload else {})}))


# -- apps.connections.open ---------------------------------------------------------------------


@pytest.mark.usefixtures("socket_mode")
@pytest.mark.parametrize(
    ("token", "error"),
    [
        (None, "not_authed"),
        ("xapp-1-A0SIMAPP-1-wrong", "invalid_auth"),
        (DEFAULT_BOT_TOKEN, "not_allowed_token_type"),
    ],
)
def test_connections_open_takes_the_app_token_only(
    stand_in: SlackWebApiStandIn, token: str | None, error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        open_url(stand_in, token)
    assert refused.value.response["error"] == error


@pytest.mark.usefixtures("socket_mode")
def test_the_app_token_is_refused_on_bot_methods(stand_in: SlackWebApiStandIn) -> None:
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=DEFAULT_APP_TOKEN, base_url=stand_in.api_url).auth_test()
    assert refused.value.response["error"] == "not_allowed_token_type"


def test_each_open_hands_out_a_fresh_one_time_url(
    stand_in: SlackWebApiStandIn, socket_mode: SocketModeStandIn
) -> None:
    first, second = open_url(stand_in), open_url(stand_in)
    assert first != second
    assert first.startswith(f"{socket_mode.url}/link/?ticket=")
    assert "app_id=A0SIMAPP" in first
    with connect(first) as ws:
        assert receive(ws)["type"] == "hello"
    with pytest.raises(InvalidStatus), connect(first):
        pass  # a ticket opens one connection
    assert len(socket_mode.refused_tickets()) == 1
    (call, _) = stand_in.calls(OPEN_METHOD)
    assert DEFAULT_APP_TOKEN not in str(call)


def test_an_expired_ticket_is_refused(stand_in: SlackWebApiStandIn) -> None:
    with SocketModeStandIn(stand_in, ticket_lifetime=0.0) as socket_mode:
        with pytest.raises(InvalidStatus), connect(open_url(stand_in)):
            pass
        assert socket_mode.connections() == []


# -- hello and envelopes -----------------------------------------------------------------------


def test_hello_comes_first_and_counts_the_connections(socket_mode: SocketModeStandIn) -> None:
    with connect(open_url(socket_mode.web_api)) as one:
        hello = receive(one)
        assert hello["type"] == "hello"
        assert hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0SIMAPP"}
        assert set(hello["debug_info"]) == {"host", "build_number", "approximate_connection_time"}
        with connect(open_url(socket_mode.web_api)) as two:
            assert receive(two)["num_connections"] == 2


def test_envelopes_carry_the_http_payloads_in_slacks_shape(socket_mode: SocketModeStandIn) -> None:
    command = command_payload(socket_mode)
    click = {"type": "block_actions", "actions": [], "user": {"id": "U0APPROVER1"}}
    submission = {"type": "view_submission", "view": {"id": "V1"}}
    event = payloads.event_callback(
        socket_mode.workspace,
        event=payloads.app_home_opened(user_id="U0A", channel_id="D0A", event_ts="1.2"),
        event_id="Ev1",
        event_time=1,
    )
    with connected(socket_mode) as ws:
        got = []
        for payload in (command, click, submission, event):
            socket_mode.deliver(payload)
            got.append(receive(ws))
    assert [(m["type"], m["accepts_response_payload"]) for m in got] == [
        ("slash_commands", True),
        ("interactive", False),
        ("interactive", True),
        ("events_api", False),
    ]
    assert [m["payload"] for m in got] == [command, click, submission, event]
    assert all(len(m["envelope_id"]) == 36 for m in got)
    # Events always say which attempt this is; the others only when it is a retry.
    assert (got[3]["retry_attempt"], got[3]["retry_reason"]) == (0, "")
    assert "retry_attempt" not in got[0]


def test_an_envelope_waits_for_a_connection_and_follows_hello(
    socket_mode: SocketModeStandIn,
) -> None:
    queued = socket_mode.deliver(command_payload(socket_mode))
    with connect(open_url(socket_mode.web_api)) as ws:
        assert receive(ws)["type"] == "hello"
        assert receive(ws)["envelope_id"] == queued.envelope_id


# -- acks and redelivery -------------------------------------------------------------------------


def test_acks_are_recorded_by_envelope_id_with_payload_and_latency(
    socket_mode: SocketModeStandIn,
) -> None:
    with connected(socket_mode) as ws:
        envelope = socket_mode.deliver(command_payload(socket_mode))
        assert receive(ws)["envelope_id"] == envelope.envelope_id
        ack(ws, envelope.envelope_id, {"text": "usage"})
        got = socket_mode.wait_for_ack(envelope.envelope_id, WAIT)
        ws.send(json.dumps({"envelope_id": "not-an-envelope"}))
        socket_mode.wait_for(lambda s: s.strays(), WAIT)
    assert got.payload == {"text": "usage"}
    assert got.connection_id == 1 and got.retry_attempt == 0 and not got.lost
    assert 0 <= got.latency < WAIT
    assert socket_mode.envelope(envelope.envelope_id).acked
    assert socket_mode.strays() == ['{"envelope_id": "not-an-envelope"}']


def test_an_unacked_envelope_is_redelivered_then_given_up(socket_mode: SocketModeStandIn) -> None:
    with connected(socket_mode) as ws:
        envelope = socket_mode.deliver(command_payload(socket_mode))
        deliveries = [receive(ws) for _ in range(3)]  # max_retries=2
        socket_mode.wait_for(lambda s: s.envelope(envelope.envelope_id).abandoned, WAIT)
    assert {m["envelope_id"] for m in deliveries} == {envelope.envelope_id}
    assert [m.get("retry_attempt", 0) for m in deliveries] == [0, 1, 2]
    assert [m.get("retry_reason", "") for m in deliveries] == ["", "timeout", "timeout"]
    assert not socket_mode.envelope(envelope.envelope_id).acked


def test_types_not_redelivered_are_given_up_at_the_first_timeout(
    stand_in: SlackWebApiStandIn,
) -> None:
    with SocketModeStandIn(
        stand_in, ack_timeout=FAST_ACK, redeliver=[EnvelopeType.EVENTS_API]
    ) as socket_mode:
        with connected(socket_mode) as ws:
            envelope = socket_mode.deliver({"type": "block_actions", "actions": []})
            receive(ws)
            socket_mode.wait_for(lambda s: s.envelope(envelope.envelope_id).abandoned, WAIT)
        assert len(socket_mode.envelope(envelope.envelope_id).attempts) == 1


def test_a_lost_ack_brings_the_envelope_again(socket_mode: SocketModeStandIn) -> None:
    socket_mode.fail_next_ack()
    with connected(socket_mode) as ws:
        envelope = socket_mode.deliver(command_payload(socket_mode))
        ack(ws, receive(ws)["envelope_id"])
        again = receive(ws)
        assert again["retry_attempt"] == 1
        ack(ws, again["envelope_id"])
        got = socket_mode.wait_for_ack(envelope.envelope_id, WAIT)
    acks = socket_mode.envelope(envelope.envelope_id).acks
    assert [a.lost for a in acks] == [True, False]
    assert got.retry_attempt == 1


# -- disconnect and drops ------------------------------------------------------------------------


def test_disconnect_asks_the_app_to_move_and_sends_nothing_more_there(
    stand_in: SlackWebApiStandIn,
) -> None:
    with SocketModeStandIn(stand_in, disconnect_grace=0.5) as socket_mode:
        with connected(socket_mode) as old:
            record = socket_mode.disconnect()
            assert receive(old) == {
                "type": "disconnect",
                "reason": DisconnectReason.REFRESH_REQUESTED.value,
                "debug_info": {"host": "applink-sim-1"},
            }
            assert record.disconnect_sent is DisconnectReason.REFRESH_REQUESTED
            envelope = socket_mode.deliver(command_payload(socket_mode))
            with connected(socket_mode) as new:
                assert receive(new)["envelope_id"] == envelope.envelope_id
                with pytest.raises(ConnectionClosed):
                    old.recv(timeout=WAIT)  # closed by the server once the grace is over
        assert socket_mode.connections()[0].closed is Closed.BY_SERVER


def test_a_silent_drop_answers_nothing_and_closes_nothing(socket_mode: SocketModeStandIn) -> None:
    with connected(socket_mode) as ws:
        assert ws.ping().wait(WAIT)  # pongs come while the path is alive
        socket_mode.wait_for(lambda s: s.connections()[0].pings, WAIT)
        record = socket_mode.drop(Closed.SILENT)
        assert record.closed is Closed.SILENT
        socket_mode.deliver(command_payload(socket_mode))  # held for a live connection
        assert not ws.ping().wait(1.0)  # no pong: this is how an app can tell
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.0)  # no envelope, no close frame, no FIN either
        with connected(socket_mode) as new:
            assert receive(new)["type"] == "slash_commands"


def test_a_reset_ends_the_connection_without_a_close_frame(
    socket_mode: SocketModeStandIn,
) -> None:
    with connected(socket_mode) as ws:
        socket_mode.drop(Closed.RESET)
        with pytest.raises(ConnectionClosed) as ended:
            ws.recv(timeout=WAIT)
    assert ended.value.rcvd is None  # no close frame came
    socket_mode.wait_for(lambda s: s.connections()[0].closed is Closed.RESET, WAIT)


def test_a_lost_ack_can_take_its_connection_with_it(socket_mode: SocketModeStandIn) -> None:
    socket_mode.fail_next_ack(Closed.RESET)
    with connected(socket_mode) as ws:
        envelope = socket_mode.deliver(command_payload(socket_mode))
        ack(ws, receive(ws)["envelope_id"])
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=WAIT)
    with connected(socket_mode) as new:
        again = receive(new)
        assert (again["envelope_id"], again["retry_attempt"]) == (envelope.envelope_id, 1)
        ack(new, envelope.envelope_id)
        assert socket_mode.wait_for_ack(envelope.envelope_id, WAIT).connection_id == 2


def test_a_connection_whose_hello_was_read_is_live_at_once(
    socket_mode: SocketModeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server thread may be slow right after its hello (a loaded machine): an app that read
    # the hello must still find its connection live (a disconnect, a delivery) at once.
    send = ValvedConnection.send

    def send_then_stall(self: ValvedConnection, message: Any, *args: Any, **kwargs: Any) -> None:
        send(self, message, *args, **kwargs)
        if '"type": "hello"' in str(message):
            time.sleep(0.5)

    monkeypatch.setattr(ValvedConnection, "send", send_then_stall)
    with connected(socket_mode):
        record = socket_mode.disconnect()
    assert record.disconnect_sent is DisconnectReason.REFRESH_REQUESTED
