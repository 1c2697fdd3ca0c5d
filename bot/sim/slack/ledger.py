"""The Socket Mode stand-in's book of envelopes: deliveries, acks, and what is due again.

Not thread-safe by itself: the stand-in calls every method here with its lock held. Times are
arguments (monotonic seconds), so the redelivery rule is plain to test: an envelope with no ack
that counts is sent again `ack_timeout` after its last delivery, with `retry_attempt` counted
up, at most `max_retries` times; a type Slack does not retry is given up at its first timeout.
Deliveries only happen while the app has a live connection, so time without one burns no retry.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable

from bot.sim.slack.envelopes import (
    Ack,
    Attempt,
    Closed,
    Envelope,
    EnvelopeType,
    Payload,
    envelope_type_of,
)

_IDLE = 0.5


class Ledger:
    """Every envelope the stand-in was asked to deliver, in order, with what became of it."""

    def __init__(
        self, *, ack_timeout: float, max_retries: int, redeliver: Iterable[EnvelopeType]
    ) -> None:
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.redeliver = frozenset(redeliver)
        self.envelopes: dict[str, Envelope] = {}
        self.strays: list[str] = []
        # What happens to the next acks: lost, and the connection dropped that way if given.
        self._ack_faults: list[Closed | None] = []

    def add(self, payload: Payload, kind: EnvelopeType | None, now: float) -> Envelope:
        """A new envelope around `payload`, due at once."""
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=kind or envelope_type_of(payload),
            payload=copy.deepcopy(payload),
            created_at=now,
        )
        self.envelopes[envelope.envelope_id] = envelope
        return envelope

    def due(self, now: float, connection_id: int | None) -> tuple[list[tuple[str, int]], float]:
        """(envelope_id, retry_attempt) to send now on `connection_id`, recorded as sent; and
        how long until the next one falls due. Nothing is sent without a connection."""
        sends: list[tuple[str, int]] = []
        wait = _IDLE
        for envelope in self.envelopes.values():
            if envelope.acked or envelope.abandoned:
                continue
            retry = len(envelope.attempts)
            if envelope.attempts:
                next_at = envelope.attempts[-1].sent_at + self.ack_timeout
                if now < next_at:
                    wait = min(wait, next_at - now)
                    continue
                if retry > self.max_retries or envelope.type not in self.redeliver:
                    envelope.abandoned = True
                    continue
            if connection_id is None:
                continue
            envelope.attempts.append(Attempt(connection_id, now, retry))
            sends.append((envelope.envelope_id, retry))
        return sends, wait

    def text(self, envelope_id: str, retry_attempt: int) -> str:
        """The JSON text of one delivery."""
        return json.dumps(self.envelopes[envelope_id].message(retry_attempt))

    def fail_next_ack(self, drop: Closed | None) -> None:
        """Lose the next ack; with `drop`, its connection is to be dropped that way."""
        self._ack_faults.append(drop)

    def receive(self, text: str, connection_id: int, now: float) -> Closed | None:
        """Record a message from the app; returns how to drop its connection, if a fault says so."""
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        envelope = self.envelopes.get(str(envelope_id)) if envelope_id else None
        if envelope is None or not isinstance(message, dict) or not envelope.attempts:
            self.strays.append(text)
            return None
        payload = message.get("payload")
        last = envelope.attempts[-1]
        faulty = bool(self._ack_faults)
        drop = self._ack_faults.pop(0) if faulty else None
        envelope.acks.append(
            Ack(
                envelope_id=envelope.envelope_id,
                payload=dict(payload) if isinstance(payload, dict) else None,
                connection_id=connection_id,
                received_at=now,
                latency=now - envelope.attempts[0].sent_at,
                since_delivery=now - last.sent_at,
                retry_attempt=last.retry_attempt,
                lost=faulty,
            )
        )
        return drop

    def acks(self) -> list[Ack]:
        """Every ack (lost ones included) in arrival order."""
        found = [a for e in self.envelopes.values() for a in e.acks]
        return sorted(found, key=lambda a: a.received_at)
