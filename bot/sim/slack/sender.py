"""`SlackSender`: delivers slash commands, clicks, submissions and events to a bot as Slack does.

Every request is built by `payloads`, signed by `signing` and POSTed with one keep-alive
`httpx.Client` to the bot's request URL (`…/slack/events`). With a stand-in attached, the
response URLs and trigger IDs it sends are ones the stand-in serves and accepts, and clicks are
made on the buttons of messages and views the bot really posted.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from bot.sim.slack import payloads
from bot.sim.slack.delivery import ON_TIME, Delivery, Sent, json_answer
from bot.sim.slack.records import Ephemeral, Message
from bot.sim.slack.signing import SignedRequest, signed_request
from bot.sim.slack.webapi import SlackWebApiStandIn
from bot.sim.slack.workspace import DEFAULT_WORKSPACE, Workspace

# Delivery, Sent and ON_TIME live in `delivery`; importers of this module keep finding them here.
__all__ = ["DEFAULT_CHANNEL", "ON_TIME", "Delivery", "Sent", "SlackSender"]

DEFAULT_CHANNEL = "C0ENIOPS"
# Slack's own request headers, so a bot that inspects them sees what production sends.
_SLACK_HEADERS = {
    "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "Accept": "application/json,*/*",
    "Accept-Encoding": "gzip,deflate",
}


class SlackSender:
    """Acts as Slack towards one bot request URL; thread-safe except for `last`."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        *,
        stand_in: SlackWebApiStandIn | None = None,
        workspace: Workspace | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        """Prepare a sender; `events_url` is the bot's full `POST /slack/events` URL."""
        self.events_url = events_url
        self._secret = signing_secret
        self.stand_in = stand_in
        self.workspace = workspace or (stand_in.workspace if stand_in else DEFAULT_WORKSPACE)
        self._clock = clock
        self._client = httpx.Client(timeout=timeout, headers=_SLACK_HEADERS)
        self._counter = itertools.count(1)
        self.last: Sent | None = None

    def __repr__(self) -> str:
        return f"SlackSender({self.events_url!r})"

    def close(self) -> None:
        """Close the keep-alive connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- low level -----------------------------------------------------------------------------

    def prepare(
        self, body: bytes, content_type: str, delivery: Delivery = ON_TIME
    ) -> SignedRequest:
        """The signed body and headers for one delivery (used by `send`, and by Bolt tests)."""
        now = delivery.timestamp if delivery.timestamp is not None else int(self._clock())
        return signed_request(
            body,
            content_type=content_type,
            secret=self._secret,
            now=now,
            retry_num=delivery.retry_num,
            retry_reason=delivery.retry_reason,
            forgery=delivery.forgery,
        )

    def send(self, body: bytes, content_type: str, delivery: Delivery = ON_TIME) -> httpx.Response:
        """Sign and POST a raw body to the request URL."""
        signed = self.prepare(body, content_type, delivery)
        return self._post(signed)

    def _post(self, signed: SignedRequest) -> httpx.Response:
        return self._client.post(self.events_url, content=signed.body, headers=signed.headers)

    def _carry(self, payload: Mapping[str, Any], signed: SignedRequest) -> httpx.Response:
        """Take one request to the bot and bring back its answer: a signed POST here."""
        return self._post(signed)

    def _deliver(
        self,
        payload: Mapping[str, Any],
        body: bytes,
        content_type: str,
        delivery: Delivery,
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> httpx.Response:
        signed = self.prepare(body, content_type, delivery)
        self.last = Sent(payload, signed, response_url=response_url, trigger_id=trigger_id)
        return self._carry(payload, signed)

    def _interact(
        self,
        payload: Mapping[str, Any],
        delivery: Delivery,
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> httpx.Response:
        """Deliver an interaction as Slack does: a form with the payload as JSON in `payload`."""
        body = payloads.interaction_body(payload)
        return self._deliver(
            payload, body, payloads.FORM, delivery, response_url=response_url, trigger_id=trigger_id
        )

    def _seq(self) -> int:
        return next(self._counter)

    def trigger_id(self) -> str:
        """A trigger ID the attached stand-in will accept for `views.open`."""
        if self.stand_in is not None:
            return self.stand_in.issue_trigger()
        n = self._seq()
        return f"{n}.{int(self._clock())}.{n * 6007:032x}"

    def _response_url(
        self,
        *,
        channel: str | None,
        user: str,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        if self.stand_in is not None:
            return self.stand_in.new_response_url(
                channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral
            )
        ws = self.workspace
        return f"https://hooks.slack.com/commands/{ws.team_id}/{self._seq()}/sim"

    def _action_ts(self) -> str:
        now = self._clock()
        return f"{int(now)}.{self._seq() % 1_000_000:06d}"

    # -- slash commands ------------------------------------------------------------------------

    def command(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str = DEFAULT_CHANNEL,
        command: str = "/eni",
        response_url: str | None = None,
        trigger_id: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Type `/eni <text>` as `user_id` in `channel_id`."""
        response_url = response_url or self._response_url(channel=channel_id, user=user_id)
        trigger_id = trigger_id or self.trigger_id()
        fields = payloads.slash_command_fields(
            self.workspace,
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return self._deliver(
            fields,
            payloads.form_body(fields),
            payloads.FORM,
            delivery,
            response_url=response_url,
            trigger_id=trigger_id,
        )

    # -- clicks --------------------------------------------------------------------------------

    def click(
        self,
        message: Message | Ephemeral | Mapping[str, Any],
        action_id: str,
        *,
        user_id: str,
        value: str | None = None,
        channel_id: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Click the button `action_id` (optionally the one with `value`) on a posted message.

        Raises LookupError when the message has no such button, as a person could not click it.
        """
        is_ephemeral = False
        if isinstance(message, Message):
            channel = message.channel
            api_message = message.as_api(with_metadata=False, team_id=self.workspace.team_id)
        elif isinstance(message, Ephemeral):
            channel = message.channel or channel_id or DEFAULT_CHANNEL
            api_message = {"type": "message", "ts": message.ts, "text": message.text}
            api_message["blocks"] = list(message.blocks)
            is_ephemeral = True
        else:
            channel = channel_id or str(message.get("channel") or DEFAULT_CHANNEL)
            api_message = dict(message)
        block_id, button = payloads.find_button(api_message.get("blocks", []), action_id, value)
        action = payloads.button_action_from(button, block_id=block_id, action_ts=self._action_ts())
        return self.block_action(
            [action],
            user_id=user_id,
            channel_id=channel,
            message=api_message,
            is_ephemeral=is_ephemeral,
            delivery=delivery,
        )

    def block_action(
        self,
        actions: list[dict[str, Any]],
        *,
        user_id: str,
        channel_id: str,
        message: Mapping[str, Any],
        is_ephemeral: bool = False,
        response_url: str | None = None,
        trigger_id: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Send a block_actions payload for a message as given (no check that buttons exist)."""
        response_url = response_url or self._response_url(
            channel=channel_id,
            user=user_id,
            message_ts=str(message["ts"]),
            ephemeral=is_ephemeral,
        )
        trigger_id = trigger_id or self.trigger_id()
        payload = payloads.message_block_actions(
            self.workspace,
            user_id=user_id,
            channel_id=channel_id,
            message=message,
            actions=actions,
            trigger_id=trigger_id,
            response_url=response_url,
            is_ephemeral=is_ephemeral,
        )
        return self._interact(payload, delivery, response_url=response_url, trigger_id=trigger_id)

    def click_view(
        self,
        view: Mapping[str, Any] | str,
        action_id: str,
        *,
        user_id: str,
        value: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Click a button in a view (a view object, or a view ID the stand-in holds)."""
        view_obj = self._view_object(view)
        block_id, button = payloads.find_button(view_obj.get("blocks", []), action_id, value)
        action = payloads.button_action_from(button, block_id=block_id, action_ts=self._action_ts())
        trigger_id = self.trigger_id()
        payload = payloads.view_block_actions(
            self.workspace, user_id=user_id, view=view_obj, actions=[action], trigger_id=trigger_id
        )
        return self._interact(payload, delivery, trigger_id=trigger_id)

    def click_home(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Click a button on the App Home the bot last published for `user_id`."""
        if self.stand_in is None:
            raise RuntimeError("click_home needs a stand-in holding the published home")
        home = self.stand_in.home(user_id)
        if home is None:
            raise LookupError(f"no App Home published for {user_id}")
        return self.click_view(home.id, action_id, user_id=user_id, value=value, delivery=delivery)

    def _view_object(self, view: Mapping[str, Any] | str) -> dict[str, Any]:
        if isinstance(view, str):
            if self.stand_in is None:
                raise RuntimeError("a view ID needs a stand-in that holds the view")
            return self.stand_in.view_payload(view)
        return dict(view)

    # -- modals --------------------------------------------------------------------------------

    def submit_view(
        self,
        view: Mapping[str, Any] | str,
        values: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        user_id: str,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Submit a modal with `values` ({block_id: {action_id: state}}; see payloads helpers).

        With a stand-in holding the view, the app's answer is applied to it as Slack would
        (closed, inline errors, updated, pushed, cleared): see `SlackWebApiStandIn.view`.
        """
        view_obj = self._view_object(view)
        trigger_id = self.trigger_id()
        payload = payloads.view_submission(
            self.workspace, user_id=user_id, view=view_obj, values=values, trigger_id=trigger_id
        )
        response = self._interact(payload, delivery, trigger_id=trigger_id)
        view_id = str(view_obj.get("id") or "")
        if self.stand_in is not None and response.status_code == 200 and view_id:
            self.stand_in.apply_view_answer(view_id, json_answer(response))
        return response

    # -- events --------------------------------------------------------------------------------

    def event(
        self, event: Mapping[str, Any], *, event_id: str | None = None, delivery: Delivery = ON_TIME
    ) -> httpx.Response:
        """Deliver one Events API event in its `event_callback` envelope."""
        now = delivery.timestamp if delivery.timestamp is not None else int(self._clock())
        envelope = payloads.event_callback(
            self.workspace,
            event=event,
            event_id=event_id or f"Ev0SIM{self._seq():06d}",
            event_time=now,
        )
        return self._deliver(envelope, payloads.json_body(envelope), payloads.JSON, delivery)

    def app_home_opened(
        self,
        user_id: str,
        *,
        channel_id: str | None = None,
        event_id: str | None = None,
        delivery: Delivery = ON_TIME,
    ) -> httpx.Response:
        """Open the bot's Home tab as `user_id` (with the current home view, if published)."""
        view = None
        if self.stand_in is not None and (home := self.stand_in.home(user_id)) is not None:
            view = self.stand_in.view_payload(home.id)
        event = payloads.app_home_opened(
            user_id=user_id,
            channel_id=channel_id or f"D0{user_id[1:]}",
            event_ts=self._action_ts(),
            view=view,
        )
        return self.event(event, event_id=event_id, delivery=delivery)

    def url_verification(self, challenge: str, *, delivery: Delivery = ON_TIME) -> httpx.Response:
        """Send the handshake Slack sends when the request URL is saved."""
        payload = payloads.url_verification(self.workspace, challenge=challenge)
        return self._deliver(payload, payloads.json_body(payload), payloads.JSON, delivery)
