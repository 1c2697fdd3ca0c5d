"""Block Kit and mrkdwn as plain terminal lines, for the console and for readable test output.

Pure functions. Mrkdwn emphasis (`*bold*`, `_italic_`, `` `code` ``) is kept as typed; Slack's
angle-bracket controls become what a reader sees in Slack: `<@U1>` → `@name`, `<!channel>` →
`@channel`, `<http://x|y>` → `y (http://x)`. Escaped text (`&lt;!channel&gt;`) is decoded only
after that, so it shows as the literal `<!channel>` a person typed and never as a mention.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

Names = Mapping[str, str]
RULE = "─" * 40

_CONTROL = re.compile(r"<([^<>]*)>")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _control(inner: str, names: Names) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user = target[1:]
        return "@" + (label or names.get(user, user))
    if target.startswith("#"):
        channel = target[1:]
        return "#" + (label or names.get(channel, channel))
    if target.startswith("!"):
        command = target[1:]
        if command in _SPECIAL:
            return _SPECIAL[command]
        if command.startswith("subteam^"):
            group = command.split("^", 1)[1]
            return label if label.startswith("@") else "@" + (label or names.get(group, group))
        if command.startswith("date^"):
            return label or command
        return label or f"@{command}"
    if label:
        return f"{_unescape(label)} ({_unescape(target)})"
    return _unescape(target)


def render_mrkdwn(text: str, names: Names | None = None) -> str:
    """Mrkdwn as a reader sees it; `names` maps user/channel/group IDs to display names."""
    mapping = names or {}
    out: list[str] = []
    pos = 0
    for match in _CONTROL.finditer(text):
        out.append(_unescape(text[pos : match.start()]))
        out.append(_control(match.group(1), mapping))
        pos = match.end()
    out.append(_unescape(text[pos:]))
    return "".join(out)


def render_text(obj: Any, names: Names | None = None) -> str:
    """A text object (`plain_text` shown as is, `mrkdwn` rendered); "" for anything else."""
    if not isinstance(obj, Mapping):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return render_mrkdwn(text, names)
    return text


def render_element(element: Mapping[str, Any], names: Names | None = None) -> str:
    """An interactive or context element on one line: buttons as `[Text (action_id:value)]`."""
    kind = element.get("type")
    if kind == "button":
        label = render_text(element.get("text"), names)
        ref = str(element.get("action_id", ""))
        if element.get("value") is not None:
            ref += f":{element['value']}"
        return f"[{label} ({ref})]"
    if kind in ("mrkdwn", "plain_text"):
        return render_text(element, names)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("static_select", "external_select", "users_select", "conversations_select"):
        placeholder = render_text(element.get("placeholder"), names)
        return f"[{placeholder or 'select'} ▾ ({element.get('action_id', '')})]"
    if kind == "plain_text_input":
        return f"[____ ({element.get('action_id', '')})]"
    return f"[{kind}]"


def _indent(text: str, prefix: str = "") -> list[str]:
    return [prefix + line for line in text.splitlines()] or [prefix.rstrip()]


def render_block(block: Mapping[str, Any], names: Names | None = None) -> list[str]:
    """One block as lines."""
    kind = block.get("type")
    if kind == "header":
        return [f"# {render_text(block.get('text'), names)}"]
    if kind == "divider":
        return [RULE]
    if kind == "section":
        lines: list[str] = []
        if "text" in block:
            lines.extend(_indent(render_text(block["text"], names)))
        for field in block.get("fields", []):
            lines.extend(_indent(render_text(field, names), "  "))
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            lines.append("  " + render_element(accessory, names))
        return lines
    if kind == "context":
        parts = [render_element(e, names) for e in block.get("elements", [])]
        return _indent(" · ".join(parts), "  ")
    if kind == "actions":
        return ["  ".join(render_element(e, names) for e in block.get("elements", []))]
    if kind == "input":
        label = render_text(block.get("label"), names)
        element = block.get("element")
        shown = render_element(element, names) if isinstance(element, Mapping) else ""
        optional = " (optional)" if block.get("optional") else ""
        return [f"{label}{optional}: {shown}"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    return [f"[{kind} block]"]


def render_blocks(blocks: Sequence[Mapping[str, Any]], names: Names | None = None) -> list[str]:
    """Blocks as lines, in order."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(render_block(block, names))
    return lines


def render_message(
    text: str | None, blocks: Sequence[Mapping[str, Any]] | None, names: Names | None = None
) -> list[str]:
    """A message as Slack shows it: the blocks when present, else the (fallback) text."""
    if blocks:
        return render_blocks(blocks, names)
    return _indent(render_mrkdwn(text or "", names))


def render_view(view: Mapping[str, Any], names: Names | None = None) -> list[str]:
    """A modal or App Home: title, blocks, then the submit/close buttons of a modal."""
    lines: list[str] = []
    title = render_text(view.get("title"), names)
    if title:
        lines.append(f"== {title} ==")
    lines.extend(render_blocks(view.get("blocks", []), names))
    buttons = [f"[{render_text(view[key], names)}]" for key in ("close", "submit") if view.get(key)]
    if buttons:
        lines.append("  ".join(buttons))
    return lines
