"""Socket Mode's messages in Slack's shapes, and the records the Socket Mode stand-in keeps.

Over Socket Mode Slack sends the same payloads as over HTTP, unencoded and wrapped in an
envelope the app acknowledges by `envelope_id`:

    {"envelope_id": "…", "type": "slash_commands", "payload": {…form fields as strings…},
     "accepts_response_payload": true}
    {"envelope_id": "…", "type": "interactive", "payload": {…block_actions, view_submission…},
     "accepts_response_payload": false}
    {"envelope_id": "…", "type": "events_api", "payload": {…event_callback…},
     "accepts_response_payload": false, "retry_attempt": 0, "retry_reason": ""}
    ack:  {"envelope_id": "…", "payload": {…the answer an HTTP response body would carry…}}

A redelivery carries the same `envelope_id` with `retry_attempt` counted up. Besides envelopes
the server sends `hello` on connect and `disconnect` when it wants the app on a new URL. The
builders here are pure: IDs and times are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Payload = dict[str, Any]

RETRY_REASON = "timeout"
# Interaction types whose ack payload Slack acts on (modal answers, option lists).
_ANSWERED_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})


class EnvelopeType(StrEnum):
    """The `type` of an envelope Slack sends; values are Slack's."""

    SLASH_COMMANDS = "slash_commands"
    INTERACTIVE = "interactive"
    EVENTS_API = "events_api"


class DisconnectReason(StrEnum):
    """Why Slack asks an app to leave a connection; values are Slack's."""

    REFRESH_REQUESTED = "refresh_requested"
    WARNING = "warning"
    LINK_DISABLED = "link_disabled"


def envelope_type_of(payload: Mapping[str, Any]) -> EnvelopeType:
    """Which envelope carries this payload (the HTTP stand-in's payloads, unchanged)."""
    kind = payload.get("type")
    if kind == "event_callback":
        return EnvelopeType.EVENTS_API
    if kind is None and "command" in payload:
        return EnvelopeType.SLASH_COMMANDS
    if isinstance(kind, str) and kind != "url_verification":
        return EnvelopeType.INTERACTIVE
    raise ValueError(f"Slack sends no Socket Mode envelope for a payload of type {kind!r}")


def accepts_response_payload(kind: EnvelopeType, payload: Mapping[str, Any]) -> bool:
    """Whether Slack uses the ack's payload: a command's answer, a modal's response_action."""
    if kind is EnvelopeType.SLASH_COMMANDS:
        return True
    return kind is EnvelopeType.INTERACTIVE and payload.get("type") in _ANSWERED_INTERACTIONS


def envelope_message(
    *,
    envelope_id: str,
    kind: EnvelopeType,
    payload: Mapping[str, Any],
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> Payload:
    """One delivery of an envelope; events always carry the retry fields, others on a retry."""
    message: Payload = {
        "envelope_id": envelope_id,
        "type": kind.value,
        "payload": dict(payload),
        "accepts_response_payload": accepts_response_payload(kind, payload),
    }
    if kind is EnvelopeType.EVENTS_API or retry_attempt > 0:
        message["retry_attempt"] = retry_attempt
        message["retry_reason"] = retry_reason
    return message


def hello_message(
    *, app_id: str, num_connections: int, host: str, approximate_connection_time: int
) -> Payload:
    """What Slack sends first on every new connection."""
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": host,
            "build_number": 1,
            "approximate_connection_time": approximate_connection_time,
        },
        "connection_info": {"app_id": app_id},
    }


def disconnect_message(reason: DisconnectReason, *, host: str) -> Payload:
    """Slack's request that the app move to a new connection."""
    return {"type": "disconnect", "reason": reason.value, "debug_info": {"host": host}}


# -- records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One delivery of an envelope: which connection, when (monotonic), which retry."""

    connection_id: int
    sent_at: float
    retry_attempt: int


@dataclass(frozen=True)
class Ack:
    """An acknowledgement as the stand-in received it."""

    envelope_id: str
    payload: Payload | None
    connection_id: int
    received_at: float
    # Seconds from the envelope's first delivery to this ack: what Slack's 3 s are counted on.
    latency: float
    # Seconds from the latest delivery (the one it most likely answers) to this ack.
    since_delivery: float
    # The retry_attempt of that latest delivery.
    retry_attempt: int
    # Lost on purpose (`fail_next_ack`): the stand-in acted as if it never came.
    lost: bool = False


@dataclass
class Envelope:
    """An envelope the stand-in was asked to deliver, with its deliveries and acks."""

    envelope_id: str
    type: EnvelopeType
    payload: Payload
    created_at: float
    attempts: list[Attempt] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    # Every allowed delivery went unacknowledged: Slack stops retrying and the event is lost.
    abandoned: bool = False

    @property
    def acked(self) -> bool:
        """Whether an ack that was not lost has arrived."""
        return any(not a.lost for a in self.acks)

    @property
    def ack(self) -> Ack | None:
        """The first ack that counted."""
        return next((a for a in self.acks if not a.lost), None)

    @property
    def accepts_response_payload(self) -> bool:
        """As in the envelope Slack sends."""
        return accepts_response_payload(self.type, self.payload)

    def message(self, retry_attempt: int) -> Payload:
        """The JSON object of one delivery."""
        return envelope_message(
            envelope_id=self.envelope_id,
            kind=self.type,
            payload=self.payload,
            retry_attempt=retry_attempt,
            retry_reason=RETRY_REASON if retry_attempt else "",
        )


class Closed(StrEnum):
    """How a connection ended."""

    BY_CLIENT = "by_client"  # the app closed it (close frame or TCP close)
    SILENT = "silent"  # the path went dead: nothing in or out, no FIN, no close frame
    RESET = "reset"  # a TCP reset, no close frame
    BY_SERVER = "by_server"  # the stand-in closed it with a close frame (stop, after disconnect)


@dataclass
class ConnectionRecord:
    """One WebSocket connection the app opened."""

    connection_id: int
    ticket: str
    peer: str
    opened_at: float
    hello_at: float | None = None
    disconnect_sent: DisconnectReason | None = None
    closed_at: float | None = None
    closed: Closed | None = None
    # Times (monotonic) at which the app's WebSocket pings arrived (keepalive, see socket.py).
    pings: list[float] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Open, reachable and not asked to leave: where new envelopes go."""
        return self.closed is None and self.disconnect_sent is None
