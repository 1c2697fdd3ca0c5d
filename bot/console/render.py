"""What the console prints: Slack as a person would see it, in a terminal.

Every Web API call the bot makes to the stand-in becomes a few lines: cards framed, thread
replies indented under their card's number, card updates as the lines that changed, ephemerals
marked as visible to one person, modals and App Home summarised. Text goes through rich's `Text`
(never markup), so brackets in Slack text print as typed; colours are off when not a TTY.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from bot.console.users import ConsoleUser
from bot.console.world_view import world_rows
from bot.sim.ecs.world import Instance, NetworkInterface
from bot.sim.slack.records import RESPONSE_URL_METHOD, RecordedCall
from bot.sim.slack.render import render_message, render_view
from bot.slack.ids import ActionId

__all__ = ["EMOJI", "Renderer", "make_console", "request_id_of", "with_emoji"]

_BUTTON_ACTIONS = {a.value for a in ActionId}
_REQUEST_IN_TEXT = re.compile(r"(?:request|Request|#)\s*#?(\d+)\b")
# Calls that change nothing a person sees; the console stays quiet about them.
_SILENT = ("auth.", "conversations.", "usergroups.", "users.", "team.", "bots.")

# Slack shows these shortcodes as pictures; a terminal shows the same characters.
EMOJI = {
    "no_entry": "⛔",
    "x": "❌",
    "white_check_mark": "✅",
    "warning": "⚠️",
    "arrows_counterclockwise": "🔄",
    "no_entry_sign": "🚫",
    "large_green_circle": "🟢",
    "information_source": "ℹ️",
    "heavy_multiplication_x": "✖️",
    "ballot_box_with_check": "☑️",
    "alarm_clock": "⏰",
    "satellite_antenna": "📡",
    "repeat": "🔁",
    "package": "📦",
    "mag": "🔍",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "grey_question": "❔",
    "gear": "⚙️",
    "lock": "🔒",
    "rotating_light": "🚨",
}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")

_CARD = "cyan"
_THREAD = "green"
_EPHEMERAL = "magenta"
_UPDATE = "blue"
_NOTE = "dim"
_ERROR = "bold red"
_NARRATION = "bold yellow"
_ECHO = "bold"


def make_console(out: TextIO, *, color: bool | None = None) -> Console:
    """A rich console on `out`: colour only on a terminal, no wrapping, no markup surprises."""
    tty = out.isatty() if color is None else color
    return Console(
        file=out,
        force_terminal=tty,
        no_color=not tty,
        color_system="auto" if tty else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


def request_id_of(blocks: Sequence[Mapping[str, Any]], text: str = "") -> int | None:
    """The request a message is about: its buttons' value, else a `#N` in its text."""
    for block in blocks:
        for element in block.get("elements", []) or []:
            if isinstance(element, Mapping) and element.get("action_id") in _BUTTON_ACTIONS:
                value = str(element.get("value", ""))
                if value.isdigit():
                    return int(value)
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping) and accessory.get("action_id") in _BUTTON_ACTIONS:
            value = str(accessory.get("value", ""))
            if value.isdigit():
                return int(value)
    found = _REQUEST_IN_TEXT.search(text)
    return int(found.group(1)) if found else None


@dataclass
class _Card:
    """A top-level bot message the console has shown, to label its thread and diff its edits."""

    request_id: int | None
    lines: list[str] = field(default_factory=list)


class Renderer:
    """Turns console events and the stand-in's recorded calls into lines; thread-safe."""

    def __init__(
        self,
        out: TextIO,
        *,
        names: Mapping[str, str],
        channel_names: Mapping[str, str],
        color: bool | None = None,
    ) -> None:
        self.console = make_console(out, color=color)
        # One map for mrkdwn mentions: <@U…> and <#C…> both become readable names.
        self._names = {**channel_names, **names}
        self._channel_names = dict(channel_names)
        self._lock = threading.RLock()
        self._cards: dict[tuple[str, str], _Card] = {}
        # response_url token → (who it is for, channel, message it may replace).
        self._response_urls: dict[str, tuple[str, str, str]] = {}

    # -- plain output ----------------------------------------------------------------------

    def _print(self, text: Text | str, style: str = "") -> None:
        with self._lock:
            self.console.print(text if isinstance(text, Text) else Text(text, style=style))

    def echo(self, user: ConsoleUser, line: str) -> None:
        """A line as typed (scripts and the demo show what was 'typed')."""
        text = Text()
        text.append(f"@{user.handle} › ", style=_NOTE)
        text.append(line, style=_ECHO)
        self._print(text)

    def narrate(self, text: str) -> None:
        """The demo's voice."""
        self._print("")
        self._print(Text(f"── {text}", style=_NARRATION))

    def note(self, text: str) -> None:
        """Something the console itself says."""
        self._print(Text(f"   {text}", style=_NOTE))

    def error(self, text: str) -> None:
        """A line the console could not carry out."""
        self._print(Text(f"   ! {text}", style=_ERROR))

    def lines(self, lines: Iterable[str], style: str = "") -> None:
        """Several plain lines (help, fault lists)."""
        for line in lines:
            self._print(Text(line, style=style))

    def remember_response_url(
        self, url: str | None, user_id: str, *, channel: str = "", message_ts: str = ""
    ) -> None:
        """Note whose command or click a response_url belongs to, to label what is posted to it."""
        if url:
            token = url.rstrip("/").rsplit("/", 1)[-1]
            with self._lock:
                self._response_urls[token] = (user_id, channel, message_ts)

    # -- Slack -----------------------------------------------------------------------------

    def ack(self, user_id: str, body: Mapping[str, Any]) -> None:
        """The immediate HTTP answer to a command or click, when it carries a message."""
        if body.get("response_action") == "errors":
            errors = body.get("errors") or {}
            self._ephemeral(user_id, [f"{k}: {v}" for k, v in dict(errors).items()], "modal")
            return
        text = str(body.get("text") or "")
        blocks = body.get("blocks") or []
        if not text and not blocks:
            return
        if body.get("response_type") == "in_channel":
            self._plain_message("", self._message_lines(text, blocks), "")
            return
        self._ephemeral(user_id, self._message_lines(text, blocks), "")

    def slack_call(self, call: RecordedCall) -> None:
        """One call the bot made to the (stand-in) Slack Web API, as what a person would see."""
        if not call.ok or call.method.startswith(_SILENT):
            return
        params = call.params
        with self._lock:
            if call.method == "chat.postMessage":
                self._posted(params, call.response)
            elif call.method == "chat.update":
                self._updated(str(params.get("channel") or ""), params)
            elif call.method == "chat.postEphemeral":
                lines = self._message_lines(params.get("text"), params.get("blocks"))
                self._ephemeral(str(params.get("user") or ""), lines, "")
            elif call.method == "chat.delete":
                self.note(f"(message {params.get('ts')} deleted)")
            elif call.method == RESPONSE_URL_METHOD:
                self._response_post(params)
            elif call.method in ("views.open", "views.push", "views.update"):
                self._view(call)
            elif call.method == "views.publish":
                self._home(params)

    def _message_lines(self, text: Any, blocks: Any) -> list[str]:
        lines = render_message(
            str(text or ""), blocks if isinstance(blocks, list) else None, self._names
        )
        return [with_emoji(line) for line in lines]

    def _posted(self, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        channel = str(params.get("channel") or "")
        ts = str(response.get("ts") or "")
        text = str(params.get("text") or "")
        blocks = params.get("blocks") if isinstance(params.get("blocks"), list) else []
        lines = self._message_lines(text, blocks)
        thread_ts = str(params.get("thread_ts") or "")
        if thread_ts:
            parent = self._cards.get((channel, thread_ts))
            label = _label(parent.request_id if parent else None)
            self._thread_reply(label, lines)
            return
        request_id = request_id_of(blocks or [], text)
        self._cards[(channel, ts)] = _Card(request_id, lines)
        self._card(channel, request_id, lines)

    def _card(self, channel: str, request_id: int | None, lines: list[str]) -> None:
        head = Text("╭─ ", style=_CARD)
        head.append(f"#{self._channel_names.get(channel, channel)} · eni-bot", style=_CARD)
        if request_id is not None:
            head.append(f" · request #{request_id}", style=f"bold {_CARD}")
        self._print(head)
        for line in lines:
            row = Text("│ ", style=_CARD)
            row.append(line)
            self._print(row)
        self._print(Text("╰─", style=_CARD))

    def _thread_reply(self, label: str, lines: list[str]) -> None:
        first, *rest = lines or [""]
        head = Text(f"   ↳ {label} thread · ", style=_THREAD)
        head.append(first)
        self._print(head)
        for line in rest:
            self._print(Text(f"     {line}"))

    def _updated(self, channel: str, params: Mapping[str, Any]) -> None:
        ts = str(params.get("ts") or "")
        blocks = params.get("blocks") if isinstance(params.get("blocks"), list) else []
        lines = self._message_lines(params.get("text"), blocks)
        self._show_update(channel, ts, lines, blocks or [], str(params.get("text") or ""))

    def _show_update(
        self,
        channel: str,
        ts: str,
        lines: list[str],
        blocks: Sequence[Mapping[str, Any]],
        text: str,
    ) -> None:
        card = self._cards.get((channel, ts))
        if card is None:
            card = _Card(request_id_of(blocks, text))
            self._cards[(channel, ts)] = card
        before = set(card.lines)
        changed = [line for line in lines if line not in before and line.strip()]
        had_buttons = any(line.lstrip().startswith("[") for line in card.lines)
        has_buttons = any(line.lstrip().startswith("[") for line in lines)
        card.lines = lines
        head = Text(f"   ✎ {_label(card.request_id)} card updated", style=_UPDATE)
        if had_buttons and not has_buttons:
            head.append(" (buttons removed)", style=_NOTE)
        if not changed:
            head.append(": no visible change", style=_NOTE)
        self._print(head)
        for line in changed:
            self._print(Text(f"     {line}"))

    def _ephemeral(self, user_id: str, lines: list[str], what: str) -> None:
        who = self._names.get(user_id, user_id) if user_id else "you"
        first, *rest = lines or [""]
        head = Text(f"   (only @{who} sees this{' · ' + what if what else ''}) ", style=_EPHEMERAL)
        head.append(first)
        self._print(head)
        for line in rest:
            self._print(Text(f"     {line}"))

    def _plain_message(self, channel: str, lines: list[str], label: str) -> None:
        where = f"#{self._channel_names.get(channel, channel)} · " if channel else ""
        first, *rest = lines or [""]
        head = Text(f"   {where}eni-bot{label}: ", style=_CARD)
        head.append(first)
        self._print(head)
        for line in rest:
            self._print(Text(f"     {line}"))

    def _response_post(self, params: Mapping[str, Any]) -> None:
        token = str(params.get("token") or "")
        user_id, channel, message_ts = self._response_urls.get(token, ("", "", ""))
        blocks = params.get("blocks") if isinstance(params.get("blocks"), list) else []
        text = str(params.get("text") or "")
        lines = self._message_lines(text, blocks)
        if _flag(params.get("delete_original")):
            self.note("(the message was deleted)")
        elif _flag(params.get("replace_original")):
            self._show_update(channel, message_ts, lines, blocks or [], text)
        elif params.get("response_type") == "in_channel":
            self._plain_message(channel, lines, "")
        else:
            self._ephemeral(user_id, lines, "")

    def _view(self, call: RecordedCall) -> None:
        view = call.params.get("view")
        if not isinstance(view, Mapping):
            return
        verb = {"views.open": "opened", "views.push": "pushed", "views.update": "updated"}
        lines = [with_emoji(line) for line in render_view(view, self._names)]
        head = Text(f"   ▢ modal {verb[call.method]}", style=_EPHEMERAL)
        self._print(head)
        for line in lines:
            self._print(Text(f"     {line}"))
        if call.method == "views.open":
            self.note("(modals need a browser; type the whole line instead: /eni detach ENI …)")

    def _home(self, params: Mapping[str, Any]) -> None:
        view = params.get("view")
        if not isinstance(view, Mapping):
            return
        who = self._names.get(str(params.get("user_id") or ""), str(params.get("user_id")))
        self._print(Text(f"   ⌂ App Home of @{who}", style=_EPHEMERAL))
        for line in render_view(view, self._names):
            self._print(Text(f"     {with_emoji(line)}"))

    # -- the simulated cloud ---------------------------------------------------------------

    def world(
        self,
        regions: Sequence[str],
        instances: Mapping[str, Sequence[Instance]],
        enis: Mapping[str, Sequence[NetworkInterface]],
        no_hot_plug: Iterable[str] = (),
    ) -> None:
        """The simulator's instances and ENIs per region, with IDs and tags ready to copy."""
        with self._lock:
            for row in world_rows(regions, instances, enis, no_hot_plug):
                self._print(row)


def with_emoji(line: str) -> str:
    """Known Slack emoji shortcodes as characters; unknown ones stay as typed."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), line)


def _label(request_id: int | None) -> str:
    return f"#{request_id}" if request_id is not None else "card"


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
