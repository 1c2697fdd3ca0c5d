"""Send outbox messages to Slack with the bot token, and find a post whose answer was lost.

`chat.postMessage` has no idempotency key, so every post carries the outbox row's ID in its
message `metadata`; when a previous send's outcome is unknown, `find_posted` looks for that
metadata in the thread (`conversations.replies`) or the channel (`conversations.history`)
before the relay sends again. When Slack will not let the bot look (a scope the app was not
granted, a channel it is not in), the notifier logs it once per channel and posts anyway: a rare
duplicate is better than a lost message or a thread blocked behind it forever. Errors are sorted
into what the relay must do next, as the outbox port's error types (bot/slack/delivery_errors.py).

A delivery names its request by ID only (the outbox knows nothing of the domain): what a card,
reply or notice shows is read through the loader the composition root gives `OutboxNotifier`
(bot.requests.cards.load), at send time, so a card update shows the request's current state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.observability.slack_client import InstrumentedWebClient
from bot.outbox.models import MessageKind
from bot.outbox.port import Delivery, LeaseLostError, Sent, UnreachableError
from bot.requests.cards import CardView
from bot.slack.blocks import card, notices, summary, thread
from bot.slack.blocks.kit import Message
from bot.slack.blocks.notices import CHANNEL_PROBLEMS
from bot.slack.delivery_errors import BLIND_LOOKUP_ERRORS, SlackRejectedError, call
from bot.slack.ids import OUTBOX_METADATA_EVENT

__all__ = [
    "LOOKUP_PAGES",
    "CardLoader",
    "Notifier",
    "OutboxNotifier",
    "Posted",
    "quiet_client",
]

log = logging.getLogger(__name__)

# chat.postEphemeral answers after which the requester is reached in the App's DM instead.
_EPHEMERAL_REFUSED = CHANNEL_PROBLEMS | {"user_not_in_channel"}
LOOKUP_PAGES = 3  # the relay's lease must outlast this many lookup calls (see RelayConfig)
_SEND_DURATION = 60.0  # a post lands at most this long after its send started (retries included)
_LOOKUP_SLACK = 300.0  # seconds before send_started_at still searched (clock skew)


@dataclass(frozen=True)
class Posted:
    """Where a message now is."""

    channel: str
    ts: str
    payload: Mapping[str, Any]  # the metadata event_payload it carries (ours)


def quiet_client(client: WebClient) -> WebClient:
    """A copy of `client` without retry handlers: the relay decides about every retry.

    The SDK's connection-error handler re-sends a `chat.postMessage` whose answer was lost,
    which would post it twice; its 429 handler would block the relay's other channels.
    """
    if isinstance(client, InstrumentedWebClient):
        # Keep the Slack call metrics (and the 429 counter, which never retries itself).
        return InstrumentedWebClient.like(client, client.metrics, retry_handlers=[])
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[],
    )


class Notifier:
    """Posts and updates messages for the outbox relay (one per relay; not thread-safe)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._blind: set[tuple[str, str]] = set()  # (channel, error) already logged

    def __repr__(self) -> str:
        return "Notifier()"

    def post(
        self,
        channel: str,
        message: Message,
        *,
        event_payload: Mapping[str, Any],
        thread_ts: str | None = None,
    ) -> Posted:
        """chat.postMessage carrying `event_payload` (outbox_id, request_id) as metadata."""
        metadata = {"event_type": OUTBOX_METADATA_EVENT, "event_payload": dict(event_payload)}
        args: dict[str, Any] = {
            "channel": channel,
            "text": message.text,
            "blocks": message.blocks,
            "metadata": metadata,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            args["thread_ts"] = thread_ts
        body = self._write("chat.postMessage", applied_maybe=True, **args)
        return Posted(str(body.get("channel") or channel), str(body["ts"]), event_payload)

    def update(self, channel: str, ts: str, message: Message) -> None:
        """chat.update of a posted message (idempotent: safe to repeat)."""
        self._write(
            "chat.update",
            applied_maybe=False,
            channel=channel,
            ts=ts,
            text=message.text,
            blocks=message.blocks,
        )

    def find_posted(
        self,
        channel: str,
        outbox_id: int,
        *,
        thread_ts: str | None = None,
        oldest: float | None = None,
    ) -> Posted | None:
        """The bot's earlier post of `outbox_id` (or a digest covering it), found by metadata."""
        for message in self._scan(channel, thread_ts=thread_ts, oldest=oldest):
            metadata = message.get("metadata")
            if not isinstance(metadata, Mapping):
                continue
            payload = metadata.get("event_payload")
            if metadata.get("event_type") != OUTBOX_METADATA_EVENT or not isinstance(
                payload, Mapping
            ):
                continue
            if _as_int(payload.get("outbox_id")) == outbox_id or outbox_id in _covers(payload):
                return Posted(channel, str(message.get("ts")), payload)
        return None

    def _scan(
        self, channel: str, *, thread_ts: str | None, oldest: float | None
    ) -> Iterator[Mapping[str, Any]]:
        # Around the first send that may have landed, as the database's clock (the relay's)
        # dated it: a post lands within one call of its send, and the window is widened on
        # both sides for skew between that clock and Slack's. Never this host's clock.
        window: dict[str, Any] = {"inclusive": True}
        if oldest is not None:
            window["oldest"] = f"{max(0.0, oldest - _LOOKUP_SLACK):.6f}"
            window["latest"] = f"{oldest + _LOOKUP_SLACK + _SEND_DURATION:.6f}"
        cursor = ""
        for _ in range(LOOKUP_PAGES):
            body = self._page(channel, thread_ts=thread_ts, cursor=cursor, window=window)
            messages = body.get("messages")
            if isinstance(messages, list):
                yield from (m for m in messages if isinstance(m, Mapping))
            meta = body.get("response_metadata")
            cursor = str(meta.get("next_cursor") or "") if isinstance(meta, Mapping) else ""
            if not cursor:
                return
        # Pages left unread may hold the post: "not found" would post it twice. Look again later.
        raise UnreachableError(
            f"lookup in {channel} stopped after {LOOKUP_PAGES} pages", applied_maybe=True
        )

    def _page(
        self, channel: str, *, thread_ts: str | None, cursor: str, window: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """One page of the thread or the channel, with metadata.

        Read methods take form or query parameters only (Slack ignores a JSON body and would
        answer as if no channel were named), so these go through slack_sdk's typed methods,
        which send them form-encoded.
        """
        args: dict[str, Any] = {
            "channel": channel,
            "include_all_metadata": True,
            "limit": 200,
            **window,
        }
        if cursor:
            args["cursor"] = cursor
        if thread_ts:
            return self._call(
                "conversations.replies",
                lambda: self._client.conversations_replies(ts=thread_ts, **args),
                applied_maybe=False,
            )
        return self._call(
            "conversations.history",
            lambda: self._client.conversations_history(**args),
            applied_maybe=False,
        )

    def _write(self, method: str, *, applied_maybe: bool, **args: Any) -> Mapping[str, Any]:
        """A write method, with its arguments as a JSON body (write methods accept JSON)."""
        return self._call(
            method, lambda: self._client.api_call(method, json=args), applied_maybe=applied_maybe
        )

    def _call(
        self, method: str, send: Callable[[], SlackResponse], *, applied_maybe: bool
    ) -> Mapping[str, Any]:
        """One Web API call; failures become the port's DeliveryError subclasses."""
        return call(method, send, applied_maybe=applied_maybe)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CardLoader(Protocol):
    """Reads a request as its messages show it (bot.requests.cards.load on the sessions)."""

    def __call__(self, request_id: int, *, approvals: bool = False) -> CardView | None: ...


class OutboxNotifier(Notifier):
    """Renders outbox rows with bot.slack.blocks and delivers them (the relay's Sender)."""

    def __init__(self, client: WebClient, load: CardLoader) -> None:
        super().__init__(client)
        self._load = load

    def deliver(self, job: Delivery) -> Sent:
        """Post, update, or recognise an earlier post of the row; returns where it is."""
        kind = job.kind
        if kind is MessageKind.REQUESTER_NOTICE:
            return self._tell_requester(job)
        if kind is MessageKind.CARD_UPDATE:
            view = self._view(job, approvals=True)
            if view is None or job.target_ts is None:
                raise SlackRejectedError("message_not_found")
            self.update(job.channel, job.target_ts, _card(view))
            return Sent(job.channel, job.target_ts)
        event: dict[str, Any] = {"outbox_id": job.outbox_id}
        if job.subject_id is not None:
            event["request_id"] = job.subject_id
        if job.digest:
            event["covers"] = [d[0] for d in job.digest]
        if job.started_at is not None:
            found = self._look_for(job, job.started_at)
            if found is not None:
                log.info("outbox id=%d was already posted (ts=%s)", job.outbox_id, found.ts)
                return Sent(found.channel, found.ts, _covers(found.payload))
        message = self._render(job)
        # The lookup may have taken a while: extend the lease, and post only if still ours,
        # so a relay that took the row over meanwhile is the only one to post it.
        if not job.keep():
            raise LeaseLostError(f"outbox id={job.outbox_id}")
        posted = self.post(job.channel, message, event_payload=event, thread_ts=job.thread_ts)
        return Sent(posted.channel, posted.ts, _covers(posted.payload))

    def _view(self, job: Delivery, *, approvals: bool = False) -> CardView | None:
        if job.subject_id is None:
            return None
        return self._load(job.subject_id, approvals=approvals)

    def _render(self, job: Delivery) -> Message:
        if job.kind is MessageKind.INCIDENT_SUMMARY:
            if job.digest:
                return summary.digest([(rid, payload) for _, rid, payload in job.digest])
            return summary.incident_summary(job.payload, job.subject_id or 0)
        view = self._view(job, approvals=job.kind is MessageKind.CARD)
        if view is None:
            raise SlackRejectedError("no_text")
        if job.kind is MessageKind.CARD:
            return _card(view)
        return thread.thread_reply(view.request, job.payload)

    def _tell_requester(self, job: Delivery) -> Sent:
        """An ephemeral in the request's channel; the App's DM when the channel refuses it.

        The notice says the channel will not take the bot's posts, so the ephemeral usually
        fails the same way (Slack shows ephemerals only in conversations the bot is in); the DM
        (chat.postMessage to the user ID, the App's Messages tab) reaches the requester wherever
        they asked. Neither can be looked up after a lost answer: at worst the notice shows twice.
        """
        view = self._view(job)
        if view is None:
            raise SlackRejectedError("no_text")
        user = str(job.payload.get("user") or view.request.requester_id)
        rendered = notices.card_undeliverable(
            view.request,
            str(job.payload.get("problem") or ""),
            cancelled=bool(job.payload.get("cancelled")),
        )
        if not job.keep():
            raise LeaseLostError(f"outbox id={job.outbox_id}")
        content = {"text": rendered.text, "blocks": rendered.blocks}
        try:
            body = self._write(
                "chat.postEphemeral", applied_maybe=True, channel=job.channel, user=user, **content
            )
            return Sent(job.channel, str(body.get("message_ts") or ""))
        except SlackRejectedError as exc:
            if exc.error not in _EPHEMERAL_REFUSED:
                raise
        body = self._write(
            "chat.postMessage",
            applied_maybe=True,
            channel=user,
            unfurl_links=False,
            unfurl_media=False,
            **content,
        )
        return Sent(str(body.get("channel") or user), str(body["ts"]))

    def _look_for(self, job: Delivery, started_at: datetime) -> Posted | None:
        """The earlier post of the row, or None when it is not there or Slack will not say."""
        try:
            return self.find_posted(
                job.channel, job.outbox_id, thread_ts=job.thread_ts, oldest=started_at.timestamp()
            )
        except SlackRejectedError as exc:
            if exc.error not in BLIND_LOOKUP_ERRORS:
                raise
            self._log_blind(job.channel, exc)
            return None

    def _log_blind(self, channel: str, exc: SlackRejectedError) -> None:
        """Say once per channel what the bot lacks to find lost posts (and that it posts anyway)."""
        if (channel, exc.error) in self._blind:
            return
        self._blind.add((channel, exc.error))
        if exc.error == "missing_scope":
            fix = f"grant the app the {exc.needed or 'channels:history/groups:history'} scope"
        elif exc.error == "not_in_channel":
            fix = "invite the bot to the channel"
        else:
            fix = "check the channel and the app's scopes"
        log.error(
            "cannot look for earlier posts in channel %s (%s): %s; posting without looking, "
            "so a post whose answer was lost may appear twice",
            channel,
            exc.error,
            fix,
        )


def _card(view: CardView) -> Message:
    deciders = [card.Decider(user, decision) for user, decision in view.approvals]
    return card.approval_card(view.request, deciders)


def _covers(payload: Mapping[str, Any]) -> list[int]:
    raw = payload.get("covers")
    if not isinstance(raw, list):
        return []
    return [n for n in (_as_int(x) for x in raw) if n is not None]
