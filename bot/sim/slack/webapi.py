"""`SlackWebApiStandIn`: a real HTTP server that answers the Slack Web API like Slack does.

Point `slack_sdk.WebClient(base_url=stand_in.api_url)` at it. It keeps state (messages, threads,
ephemerals, views, App Home), records every call for tests to query, wakes waiters through a
Condition, and fails on demand: queued faults (`fail_next`), a whole outage (`outage`) after which
it listens again on the same port, and Slack's rate limits (`set_channel_rate_limit`,
`set_method_rate_limit`, `use_documented_rate_limits`). Channels can be private without the bot,
archived, or DMs it is not in (`add_conversation`), and read methods ignore a JSON body as Slack
does (their arguments are form or query parameters).

The parts: `transport` (the HTTP server and its outages), `dispatch` (the order in which a call
is answered, and recording), `arguments` and `auth` (what a call carries), `limits`, `faults`,
`state` with the method families `chat`, `views`, `reads` (table: `methods`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Self, TypeVar

from bot.sim.http import Lifecycle
from bot.sim.slack import views
from bot.sim.slack.conversations import Conversation, ConversationKind
from bot.sim.slack.dispatch import AppMethod, CallListener, Dispatcher
from bot.sim.slack.faults import Fault, FaultKind
from bot.sim.slack.limits import POST_BURST, POST_PER_SECOND
from bot.sim.slack.records import Ephemeral, Message, RecordedCall, ResponsePost, View
from bot.sim.slack.state import SlackState
from bot.sim.slack.transport import Listener
from bot.sim.slack.waiting import wait_until
from bot.sim.slack.workspace import DEFAULT_WORKSPACE, Workspace

T = TypeVar("T")

DEFAULT_BOT_TOKEN = "xoxb-sim-bot-token"  # noqa: S105 - a fixed fake for the sandbox


class SlackWebApiStandIn(Lifecycle):
    """A stateful Slack Web API on 127.0.0.1 for tests, benchmarks and the console."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        workspace: Workspace = DEFAULT_WORKSPACE,
        channels: Iterable[str] | None = None,
        usergroups: Mapping[str, Sequence[str]] | None = None,
        strict_triggers: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure; nothing listens until `start()` (or `with`).

        Args:
            channels: known channel IDs; when given, others answer `channel_not_found`.
            usergroups: user group ID -> member user IDs for `usergroups.users.list`.
            strict_triggers: only trigger IDs from `issue_trigger()`, once each, within 3 s.
            clock: monotonic clock for the rate limits (injectable for tests).
        """
        self.workspace = workspace
        state = SlackState(
            workspace, channels=channels, usergroups=usergroups, strict_triggers=strict_triggers
        )
        self._hub = Dispatcher(state, bot_token=bot_token, clock=clock)
        self._state = state
        self._lock = self._hub.lock
        self._listener = Listener(self._hub.answer, host=host, port=port)

    def __repr__(self) -> str:
        # Never show the token.
        return f"SlackWebApiStandIn(port={self.port}, listening={self._listener.listening})"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on the configured port (a free one for 0) and serve in a daemon thread."""
        self._listener.start()
        return self

    def stop(self) -> None:
        """Stop listening, cut open connections and cancel a pending outage end."""
        self._listener.stop()

    @property
    def port(self) -> int:
        """The TCP port; stays the same across outages."""
        return self._listener.port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` with no trailing slash."""
        return f"http://{self._listener.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for `WebClient(base_url=...)` and `ENIBOT_SLACK_API_URL`."""
        return f"{self.base_url}/api/"

    # -- faults and limits ---------------------------------------------------------------------

    def outage(self, seconds: float | None) -> None:
        """Stop listening and reset open connections; come back on the same port after `seconds`.

        With `seconds=None` the outage lasts until `end_outage()`. Connections made meanwhile
        are refused, as when Slack (or the network to it) is down.
        """
        self._listener.outage(seconds)

    def end_outage(self) -> None:
        """Listen again on the same port (no-op when not in an outage)."""
        self._listener.end_outage()

    @property
    def in_outage(self) -> bool:
        """Whether connections are being refused right now."""
        return self._listener.in_outage

    def fail_next(
        self,
        method: str | None,
        n: int = 1,
        kind: FaultKind | str = FaultKind.RATE_LIMITED,
        *,
        retry_after: int = 1,
        status: int = 500,
    ) -> None:
        """Make the next `n` calls of `method` (None: any method) fail as `kind`.

        `rate_limited` answers 429 with `Retry-After: retry_after`; `server_error` answers
        `status` (500 or 503); `connection_reset` cuts the connection unanswered;
        `response_lost` applies the call, then cuts the connection. `response_url` posts count
        as method "response_url".
        """
        with self._lock:
            self._hub.faults.add(
                Fault(method, n, FaultKind(kind), retry_after=retry_after, status=status)
            )

    def clear_faults(self) -> None:
        """Forget queued faults."""
        with self._lock:
            self._hub.faults.clear()

    def set_channel_rate_limit(
        self, per_second: float | None = POST_PER_SECOND, burst: int = POST_BURST
    ) -> None:
        """Answer `chat.postMessage` with 429 beyond `per_second` per channel; None switches off."""
        with self._lock:
            self._hub.limits.set_channel_limit(per_second, burst)

    def set_method_rate_limit(self, method: str, per_minute: float | None, burst: int) -> None:
        """Answer `method` with 429 beyond `per_minute` (all its calls together); None: off.

        Slack's tiers (bot/sim/slack/limits.py): e.g. `chat.update` is Tier 3, 50+ per minute.
        """
        with self._lock:
            self._hub.limits.set_method_limit(method, per_minute, burst)

    def use_documented_rate_limits(self) -> None:
        """Switch on Slack's documented limits: one post a second per channel, the method tiers."""
        with self._lock:
            self._hub.limits.use_documented()

    def set_usergroups_error(self, error: str | None) -> None:
        """Make `usergroups.users.list` answer e.g. `plan_upgrade_required` or `missing_scope`."""
        with self._lock:
            self._state.usergroups_error = error

    def set_usergroup(self, usergroup: str, users: Sequence[str]) -> None:
        """Define or replace a user group's members."""
        with self._lock:
            self._state.usergroups[usergroup] = list(users)

    def add_conversation(
        self,
        channel: str,
        *,
        kind: ConversationKind | str = ConversationKind.PUBLIC,
        bot_member: bool = True,
        archived: bool = False,
        name: str = "",
    ) -> None:
        """Register (or redefine) a channel: private, a DM between people, archived, bot absent.

        Slack's answers follow (bot/sim/slack/conversations.py): a private channel or DM the
        bot is not in is `channel_not_found` to every method, an archived one `is_archived` to
        every write.
        """
        with self._lock:
            self._state.conversations[channel] = Conversation(
                channel, ConversationKind(kind), bot_member=bot_member, archived=archived, name=name
            )
            if self._state.channels is not None:
                self._state.channels.add(channel)

    def set_messages_tab(self, enabled: bool) -> None:
        """Switch the app's Messages tab; off, posts to a user ID answer `messages_tab_disabled`."""
        with self._lock:
            self._state.messages_tab = enabled

    def serve_app_level(self, method: str, handler: AppMethod, *, app_token: str) -> None:
        """Answer `method` with `handler`, for callers holding the app-level token only.

        As Slack does: any other token is `invalid_auth`, a bot token `not_allowed_token_type`
        (and the app token on a bot method likewise). The Socket Mode stand-in serves
        `apps.connections.open` this way; `handler` runs with this stand-in's lock held.
        """
        with self._lock:
            self._hub.app_methods[method] = handler
            self._hub.app_token = app_token

    # -- minting what Slack hands to the app ---------------------------------------------------

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """An absolute `response_url` served by this stand-in.

        `channel` makes `in_channel` posts appear there; `message_ts` is the message a
        `replace_original`/`delete_original` acts on (an ephemeral one when `ephemeral`, so a
        replacement is a new ephemeral); other posts are ephemerals to `user`.
        """
        with self._lock:
            token = self._state.issue_response_token(
                channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral
            )
        return f"{self.base_url}/response/{token}"

    def issue_trigger(self) -> str:
        """A trigger_id that `views.open` accepts (once, within 3 s, with strict triggers)."""
        with self._lock:
            return self._state.issue_trigger()

    # -- listeners and waiting -----------------------------------------------------------------

    def subscribe(self, listener: CallListener) -> Callable[[], None]:
        """Call `listener` after each recorded call; returns the unsubscribe function.

        Listeners run on the server's request thread; their exceptions are logged and dropped.
        """
        listeners = self._hub.listeners
        with self._lock:
            listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in listeners:
                    listeners.remove(listener)

        return unsubscribe

    def wait_for(
        self, predicate: Callable[[SlackWebApiStandIn], T | None], timeout: float = 5.0
    ) -> T:
        """Block until `predicate(self)` is truthy and return its value; TimeoutError after timeout.

        Woken by each recorded call, so there is no polling.
        """
        return wait_until(self._hub.changed, lambda: predicate(self), timeout)

    def wait_for_calls(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedCall]:
        """Block until `count` calls of `method` have been recorded; returns them all."""
        return self.wait_for(
            lambda s: calls if len(calls := s.calls(method)) >= count else None, timeout
        )

    # -- queries -------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Recorded calls in arrival order, of one method or all (failed ones included)."""
        with self._lock:
            return [c for c in self._hub.calls if method is None or c.method == method]

    def messages(self, channel: str, *, include_replies: bool = False) -> list[Message]:
        """Messages in a channel, oldest first; thread replies only when asked."""
        with self._lock:
            stored = self._state.messages.get(channel, {}).values()
            return [copy.deepcopy(m) for m in stored if include_replies or not m.is_reply]

    def message(self, channel: str, ts: str) -> Message | None:
        """One message as it is now (after any `chat.update`)."""
        with self._lock:
            return _copy(self._state.find(channel, ts))

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies in the thread of the message at `ts`, oldest first (parent excluded)."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._state.messages.get(channel, {}).values()
                if m.is_reply and m.thread_ts == ts
            ]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages (postEphemeral and response_url), optionally for one user."""
        with self._lock:
            return [e for e in self._state.ephemerals if user is None or e.user == user]

    def responses(self, token: str | None = None) -> list[ResponsePost]:
        """Bodies POSTed to issued response URLs; `token` may be the URL or its last part."""
        if token is not None:
            token = token.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            return [r for r in self._hub.responses if token is None or r.token == token]

    def views(self, *, kind: str | None = None) -> list[View]:
        """Opened modals and published homes, oldest first; `kind` is `modal` or `home`."""
        with self._lock:
            return [
                copy.deepcopy(v)
                for v in self._state.views.values()
                if kind is None or v.type == kind
            ]

    def view(self, view_id: str) -> View | None:
        """One view as it is now."""
        with self._lock:
            return _copy(self._state.views.get(view_id))

    def home(self, user_id: str) -> View | None:
        """The App Home view last published for a user."""
        with self._lock:
            return _copy(self._state.views.get(self._state.home_views.get(user_id, "")))

    def apply_view_answer(self, view_id: str, answer: Mapping[str, Any]) -> View | None:
        """Apply an app's view_submission answer (close, errors, update, push, clear).

        Returns the view the user now sees, None when the modal closed. `SlackSender.submit_view`
        calls this, so tests and the console see the modal as Slack would show it.
        """
        with self._lock:
            shown = views.apply_view_answer(self._state, view_id, answer)
            self._hub.changed.notify_all()
            return _copy(shown)

    def view_payload(self, view_id: str) -> dict[str, Any]:
        """The view object Slack would put in an interaction payload for this view."""
        with self._lock:
            found = self._state.views.get(view_id)
            if found is None:
                raise KeyError(view_id)
            return self._state.api_view(found)


def _copy(found: T | None) -> T | None:
    """A copy the caller may keep while the stand-in goes on changing its own."""
    return copy.deepcopy(found) if found is not None else None
