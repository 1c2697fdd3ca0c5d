"""Carrying out typed lines against the running sandbox, as the current user.

Slash commands and clicks travel as signed Slack requests to the bot's /slack/events; a click
is made on a button the bot really posted (found by request ID in the stand-in's messages),
exactly as a person in Slack could. Everything the bot says back reaches the terminal through the
output queue, in the order it happened.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from bot import db
from bot.console import faults, policy_view
from bot.console.output import Output
from bot.console.render import Renderer
from bot.console.repl import (
    FAULT_USAGE,
    ClickAction,
    ClickCommand,
    Command,
    FaultCommand,
    HelpCommand,
    HomeCommand,
    ParseError,
    PolicyCommand,
    QuitCommand,
    SlashCommand,
    SwitchUserCommand,
    WorldCommand,
    parse_line,
)
from bot.console.sandbox import Parts
from bot.console.settle import Settler
from bot.console.users import (
    CHANNEL_ID,
    DEFAULT_USER,
    USERS,
    ConsoleUser,
    console_workspace,
    resolve,
)
from bot.requests.models import DetachRequest
from bot.requests.states import OPEN
from bot.sim.slack.payloads import button_action_from, find_button, iter_buttons
from bot.sim.slack.records import Message
from bot.slack.ids import ActionId

__all__ = ["HELP", "CommandError", "Session"]

log = logging.getLogger(__name__)

_BUTTON = {
    ClickAction.APPROVE: ActionId.APPROVE,
    ClickAction.REJECT: ActionId.REJECT,
    ClickAction.RETRY: ActionId.RETRY,
    ClickAction.REATTACH: ActionId.REATTACH,
}
# Buttons only a thread reply carries (the App Home has no stand-in), and when one shows up.
_THREAD_ONLY = (ClickAction.RETRY, ClickAction.REATTACH)
_WHEN_SHOWN = {
    ActionId.RETRY: "Retry button for request #{n}: it shows up in the thread only when a "
    "request is stuck",
    ActionId.REATTACH: "Re-attach button for request #{n}: it shows up on the last reply of a "
    "detach request that finished with at least one ENI detached",
}

HELP = [
    "What you can type (as in Slack, plus a few console helpers):",
    "  /eni help                          the bot's own usage",
    "  /eni detach ENI [ENI …] [INSTANCE] [REGION] [reason …]",
    "                                     ask to detach ENIs (copy IDs from `world`)",
    "  /eni detach INSTANCE [REGION] [reason …]",
    "                                     every secondary ENI of that instance",
    "  /eni detach tag:KEY=VALUE … [INSTANCE] [REGION] [reason …]",
    "                                     every attached secondary ENI with all those tags",
    "  /eni attach ENI [ENI …] [INSTANCE] [REGION] [reason …]",
    "                                     ask to attach Available ENIs (INSTANCE: by default",
    "                                     the one the bot last detached each ENI from)",
    "  /eni reattach N                    undo detach request N: one attach request puts its",
    "                                     ENIs back on their instances",
    "  /eni status N | /eni list | /eni cancel N | /eni retry N",
    "  as @lead                           type as someone else (as U… works for any ID)",
    "  click approve N | click reject N   press a button on request N's card",
    "  click retry N                      press Retry on a stuck request's thread message",
    "  click reattach N                   press Re-attach (undo) on finished detach N's last reply",
    "  home                               open the bot's App Home tab",
    "  world [REGION]                     the simulated cloud: instances, ENIs and their tags",
    "  policy [REGION]                    which approval-policy rule covers each ENI",
    f"  {FAULT_USAGE}",
    "                                     make the simulated ECS misbehave",
    "  help | quit",
]


class CommandError(Exception):
    """A well-formed line that could not be carried out (unknown user, no such button)."""


class Session:
    """The current user and the sandbox; `run` carries out one parsed command."""

    def __init__(self, parts: Parts, renderer: Renderer, output: Output) -> None:
        self.parts = parts
        self.renderer = renderer
        self.output = output
        self.user: ConsoleUser = DEFAULT_USER
        # At a prompt a long wait is announced; a script's transcript stays free of it.
        self.interactive = False
        self.settler = Settler(
            sessions=parts.runtime.sessions,
            activity=parts.activity,
            drain=output.flush,
            since=db.utcnow(),
        )
        settings = parts.settings
        # Long enough for a detach to finish or be reported stuck, bounded so a script ends.
        self.settle_deadline = settings.stuck_after + 4 * settings.poll_interval + 15.0

    def note_earlier_requests(self) -> None:
        """With --db, say that open requests of an earlier session have no card here."""
        with db.read(self.parts.runtime.sessions) as session:
            open_ids = session.scalars(
                select(DetachRequest.id)
                .where(DetachRequest.status.in_([s.value for s in OPEN]))
                .order_by(DetachRequest.id)
            ).all()
        if not open_ids:
            return
        shown = ", ".join(f"#{i}" for i in open_ids[:10]) + (" …" if len(open_ids) > 10 else "")
        self.say(
            lambda r: r.note(
                f"this database has open requests from an earlier session ({shown}); their cards "
                "were in that session's channel, so their thread updates cannot be delivered "
                "here. Approve them from the App Home (`home`), or use a fresh database."
            )
        )

    def say(self, job: Callable[[Renderer], None]) -> None:
        """Queue something for the renderer."""
        renderer = self.renderer
        self.output.put(lambda: job(renderer))

    def echo(self, line: str) -> None:
        """Show a line as typed by the current user."""
        user = self.user
        self.say(lambda r: r.echo(user, line))

    def carry_out(self, line: str, *, echo: bool) -> bool | None:
        """Parse and run one typed line; True: done, False: it failed (said why), None: quit."""
        if echo and line.strip():
            self.echo(line.rstrip("\n"))
        try:
            command = parse_line(line)
            if command is None:
                return True
            if not self.run(command):
                return None
        except (ParseError, CommandError) as exc:
            message = str(exc)
            self.say(lambda r: r.error(message))
            return False
        finally:
            self.output.flush()
        return True

    def run(self, command: Command) -> bool:
        """Carry out one command; False means quit. Raises CommandError when it cannot."""
        if isinstance(command, QuitCommand):
            return False
        if isinstance(command, HelpCommand):
            self.help()
        elif isinstance(command, SwitchUserCommand):
            self.switch(command.who)
        elif isinstance(command, SlashCommand):
            self.slash(command.text)
        elif isinstance(command, ClickCommand):
            self.click(command.action, command.request_id)
        elif isinstance(command, HomeCommand):
            self.home()
        elif isinstance(command, WorldCommand):
            self.world(command.region)
        elif isinstance(command, PolicyCommand):
            self.policy(command.region)
        elif isinstance(command, FaultCommand):
            self.fault(command)
        return True

    # -- console helpers -------------------------------------------------------------------

    def help(self) -> None:
        """The console's own grammar, and who is who."""
        people = ", ".join(f"@{u.handle} ({u.role})" for u in USERS)
        lines = [*HELP, f"People: {people}. You are @{self.user.handle}."]
        self.say(lambda r: r.lines(lines))

    def switch(self, who: str) -> None:
        """Become someone else for the next lines."""
        try:
            self.user = resolve(who)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        user = self.user
        self.say(lambda r: r.note(f"now typing as @{user.handle} ({user.role})"))

    def world(self, region: str | None) -> None:
        """Show the simulated cloud, one region or all."""
        world = self.parts.simulator.world
        regions = [r for r in world.regions if region is None or r == region]
        if not regions:
            known = ", ".join(world.regions)
            raise CommandError(f"the simulator has no region {region}; it has {known}")
        instances = {r: world.instances(r) for r in regions}
        enis = {r: world.network_interfaces(r) for r in regions}
        no_hot_plug = [name for name, spec in world.instance_types.items() if not spec.eni_hot_plug]
        self.say(lambda r: r.world(regions, instances, enis, no_hot_plug))

    def policy(self, region: str | None) -> None:
        """Which rule of the bot's approval policy covers each ENI (one region or all)."""
        world = self.parts.simulator.world
        regions = [r for r in world.regions if region is None or r == region]
        if not regions:
            known = ", ".join(world.regions)
            raise CommandError(f"the simulator has no region {region}; it has {known}")
        runtime = self.parts.runtime
        lines = policy_view.coverage_lines(
            runtime.approval_policy(),
            {r: world.network_interfaces(r) for r in regions},
            names=console_workspace().users,
            now=runtime.clock(),
        )
        self.say(lambda r: r.lines(lines))

    def fault(self, command: FaultCommand) -> None:
        """Make the simulated ECS misbehave, or list/clear what is set."""
        try:
            lines = faults.apply(self.parts.simulator, command)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        self.say(lambda r: r.lines([f"   {line}" for line in lines]))

    # -- Slack -----------------------------------------------------------------------------

    def slash(self, text: str) -> None:
        """Type `/eni <text>` in #eni-ops."""
        sender = self.parts.sender
        user = self.user
        # Minted (and labelled) before sending: the bot may post to it before its ack is read.
        response_url = self.parts.stand_in.new_response_url(channel=CHANNEL_ID, user=user.user_id)
        self.renderer.remember_response_url(response_url, user.user_id, channel=CHANNEL_ID)
        marker = self.settler.marker()
        with self.output.answer_first():
            response = self._deliver(
                lambda: sender.command(
                    text, user_id=user.user_id, channel_id=CHANNEL_ID, response_url=response_url
                )
            )
            said = self._ack(user, response)
        self.settle(after=None if said else marker)

    def click(self, action: ClickAction, request_id: int) -> None:
        """Press a button the bot posted for request `request_id`, as Slack reports a click."""
        action_id = _BUTTON[action]
        try:
            message = self._find_button(action_id, request_id)
        except CommandError:
            # A card posted by an earlier session (--db) is not in this stand-in's channel;
            # the App Home lists pending requests with the same buttons.
            if action in _THREAD_ONLY or not self._click_on_home(action_id, request_id):
                raise
            return
        sender = self.parts.sender
        user = self.user
        response_url = self.parts.stand_in.new_response_url(
            channel=message.channel, user=user.user_id, message_ts=message.ts
        )
        self.renderer.remember_response_url(
            response_url, user.user_id, channel=message.channel, message_ts=message.ts
        )
        api_message = message.as_api(with_metadata=False, team_id=sender.workspace.team_id)
        block_id, button = find_button(message.blocks, action_id, str(request_id))
        clicked = button_action_from(button, block_id=block_id, action_ts=_action_ts())
        marker = self.settler.marker()
        with self.output.answer_first():
            response = self._deliver(
                lambda: sender.block_action(
                    [clicked],
                    user_id=user.user_id,
                    channel_id=message.channel,
                    message=api_message,
                    response_url=response_url,
                )
            )
            said = self._ack(user, response)
        self.settle(after=None if said else marker)

    def _click_on_home(self, action_id: ActionId, request_id: int) -> bool:
        """Press the button on the current user's App Home; False when it is not there."""
        stand_in, sender, user = self.parts.stand_in, self.parts.sender, self.user
        self.home()
        home = stand_in.home(user.user_id)
        if home is None:
            return False
        try:
            find_button(home.definition.get("blocks", []), action_id, str(request_id))
        except LookupError:
            return False
        self.say(
            lambda r: r.note(
                f"(request #{request_id}'s card is not in this session's "
                "#eni-ops; pressing the button on the App Home instead)"
            )
        )
        marker = self.settler.marker()
        with self.output.answer_first():
            response = self._deliver(
                lambda: sender.click_home(user.user_id, action_id, value=str(request_id))
            )
            said = self._ack(user, response)
        self.settle(after=None if said else marker)
        return True

    def home(self) -> None:
        """Open the App Home tab."""
        sender = self.parts.sender
        user = self.user
        marker = self.settler.marker()
        self._deliver(lambda: sender.app_home_opened(user.user_id))
        self.settle(after=marker)

    def settle(self, *, after: int | None = None) -> None:
        """Wait for the bot to come to rest; say so when it did not in time."""
        settled = self.settler.wait(
            deadline=self.settle_deadline,
            after=after,
            on_slow=self._waiting if self.interactive else None,
        )
        if not settled.ok:
            still = settled.still
            self.say(lambda r: r.note(f"(still going on: {still}; carrying on)"))
            self.output.flush()

    def _waiting(self) -> None:
        self.say(lambda r: r.note("… the bot is still at work; its updates follow (Ctrl-C quits)"))

    def _deliver(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            response = send()
        except httpx.HTTPError as exc:
            raise CommandError(f"the bot did not answer ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise CommandError(f"the bot answered HTTP {response.status_code}")
        return response

    def _ack(self, user: ConsoleUser, response: httpx.Response) -> bool:
        """Show the HTTP answer when it carries a message; True when it did."""
        body = _ack_body(response)
        if not body:
            return False
        self.say(lambda r: r.ack(user.user_id, body))
        return bool(body.get("text") or body.get("blocks") or body.get("errors"))

    def _find_button(self, action_id: ActionId, request_id: int) -> Message:
        stand_in = self.parts.stand_in
        messages = stand_in.messages(CHANNEL_ID, include_replies=True)
        for message in reversed(messages):
            for _block_id, button in iter_buttons(message.blocks):
                if button.get("action_id") == action_id and button.get("value") == str(request_id):
                    return message
        word = action_id.value.removesuffix("_request").capitalize()
        if action_id in _WHEN_SHOWN:
            raise CommandError("no " + _WHEN_SHOWN[action_id].format(n=request_id))
        raise CommandError(
            f"no {word} button for request #{request_id} in #eni-ops "
            "(unknown request, or already decided: decided cards lose their buttons)"
        )


def _action_ts() -> str:
    """An action_ts shaped like Slack's (seconds.micros)."""
    return f"{time.time():.6f}"


def _ack_body(response: httpx.Response) -> dict[str, Any]:
    raw = response.text.strip()
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {"text": raw}
    return decoded if isinstance(decoded, dict) else {"text": raw}
