"""`SocketModeSender`: `SlackSender`'s commands, clicks, submissions and events, over Socket Mode.

The payloads are the very ones `SlackSender` builds (same response URLs, trigger IDs, buttons of
messages really posted); only the carriage differs: each goes out as an envelope on the Socket
Mode stand-in instead of a signed POST, and the ack stands where the HTTP answer stood. So a
method returns an `httpx.Response` of status 200 whose JSON body is the ack's `payload` (empty
for a bare ack), exactly what the HTTP request would have answered, and tests, the console and
`submit_view` read it the same way in both modes. The envelope itself is `last_envelope`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from bot.sim.slack.delivery import ON_TIME, Delivery
from bot.sim.slack.envelopes import Envelope
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.signing import SignedRequest
from bot.sim.slack.socket_mode import SocketModeStandIn


class SocketModeSender(SlackSender):
    """Acts as Slack towards an app connected to `socket_mode`; waits for each ack."""

    def __init__(
        self,
        socket_mode: SocketModeStandIn,
        *,
        clock: Callable[[], float] = time.time,
        ack_wait: float = 10.0,
    ) -> None:
        """Prepare; a call waits `ack_wait` s for its ack, then raises `httpx.ReadTimeout`."""
        # Nothing is signed in Socket Mode (the app token authenticated the connection).
        super().__init__(
            socket_mode.url,
            "",
            stand_in=socket_mode.web_api,
            workspace=socket_mode.workspace,
            clock=clock,
        )
        self.socket_mode = socket_mode
        self.ack_wait = ack_wait
        self.last_envelope: Envelope | None = None

    def __repr__(self) -> str:
        return f"SocketModeSender({self.socket_mode.url!r})"

    def send(self, body: bytes, content_type: str, delivery: Delivery = ON_TIME) -> httpx.Response:
        """Raw bodies have no Socket Mode form: envelopes carry payloads."""
        raise TypeError("Socket Mode carries payloads, not raw HTTP bodies; use command(), click()")

    def prepare(
        self, body: bytes, content_type: str, delivery: Delivery = ON_TIME
    ) -> SignedRequest:
        """As `SlackSender.prepare`; a forged signature or a faked retry has no meaning here."""
        if delivery.forgery is not None or delivery.retry_num is not None:
            # Signatures do not exist here, and the stand-in redelivers on its own.
            raise ValueError("Socket Mode has no signature to forge and no retry to fake")
        return super().prepare(body, content_type, delivery)

    def _carry(self, payload: Mapping[str, Any], signed: SignedRequest) -> httpx.Response:
        envelope = self.socket_mode.deliver(dict(payload))
        self.last_envelope = envelope
        request = httpx.Request("POST", f"{self.socket_mode.url}#{envelope.envelope_id}")
        try:
            ack = self.socket_mode.wait_for_ack(envelope.envelope_id, self.ack_wait)
        except TimeoutError:
            # As an HTTP request whose answer never came, so callers handle both alike.
            raise httpx.ReadTimeout(
                f"no ack for envelope {envelope.envelope_id} within {self.ack_wait} s",
                request=request,
            ) from None
        if ack.payload is None:
            return httpx.Response(200, request=request)
        return httpx.Response(200, json=ack.payload, request=request)
