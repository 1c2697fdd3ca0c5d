"""Block Kit primitives, and Slack's limits on them, enforced here and nowhere else.

Every block the bot sends is made by these functions, so a text too long for its object is cut
here (a message that shows less is better than one Slack refuses with `invalid_blocks`; mrkdwn
is cut by `text.clip`, never inside an escape or a mention), and a value that must not be cut
(a button's request ID) is refused here. Every mrkdwn object is
`verbatim` (see `text`). Pure: no Slack client, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.slack.blocks.text import clip

__all__ = [
    "BLOCK_ID_LIMIT",
    "BUTTON_TEXT_LIMIT",
    "BUTTON_VALUE_LIMIT",
    "CONTEXT_ELEMENTS_LIMIT",
    "FALLBACK_LIMIT",
    "FIELDS_LIMIT",
    "FIELD_TEXT_LIMIT",
    "HEADER_TEXT_LIMIT",
    "MESSAGE_BLOCKS_LIMIT",
    "OPTIONS_LIMIT",
    "OPTION_TEXT_LIMIT",
    "SECTION_TEXT",
    "SECTION_TEXT_LIMIT",
    "VIEW_BLOCKS_LIMIT",
    "Block",
    "Message",
    "actions",
    "button",
    "context",
    "divider",
    "fallback",
    "fields",
    "header",
    "message",
    "mrkdwn",
    "note",
    "option",
    "plain",
    "section",
    "sections",
    "view_blocks",
]

Block = dict[str, Any]

# Slack's limits (Block Kit reference).
MESSAGE_BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100  # App Home and modals
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_LIMIT = 10
CONTEXT_ELEMENTS_LIMIT = 10
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BLOCK_ID_LIMIT = 255
OPTIONS_LIMIT = 100
OPTION_TEXT_LIMIT = 75
# What the bot writes at most in one section or context text: a margin under Slack's 3,000.
SECTION_TEXT = 2900
# Notification text (the `text` beside blocks) is the first line, cut short: Slack shows a line.
FALLBACK_LIMIT = 300


@dataclass(frozen=True)
class Message:
    """What Slack shows: fallback text for notifications, and blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `respond()`, `chat_postEphemeral()` and `chat_postMessage()`."""
        return {"text": self.text, "blocks": self.blocks}


def message(text: str, blocks: Iterable[Block]) -> Message:
    """A message with at most Slack's 50 blocks (the rest is dropped)."""
    return Message(text=text, blocks=list(blocks)[:MESSAGE_BLOCKS_LIMIT])


def note(text: str, *more: Block) -> Message:
    """A message of one section (and `more` blocks), notified by the section's first line."""
    return message(fallback(text), [section(text), *more])


def view_blocks(blocks: Iterable[Block]) -> list[Block]:
    """At most Slack's 100 blocks of a Home tab or modal."""
    return list(blocks)[:VIEW_BLOCKS_LIMIT]


def fallback(text: str) -> str:
    """Notification text: the first line, without emoji codes or bold marks."""
    first = text.split("\n", 1)[0]
    words = [w for w in first.split(" ") if not (w.startswith(":") and w.endswith(":"))]
    return " ".join(words).replace("*", "")[:FALLBACK_LIMIT]


# ---------------------------------------------------------------------------- text objects


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object Slack shows as written: no automatic links or mentions."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str) -> Block:
    """A plain_text object (labels, titles, button text)."""
    return {"type": "plain_text", "text": text}


# ---------------------------------------------------------------------------- blocks


def section(text: str) -> Block:
    """A section of mrkdwn text, cut to what Slack accepts."""
    return {"type": "section", "text": mrkdwn(clip(text, SECTION_TEXT))}


def fields(*texts: str) -> Block:
    """A section of up to 10 mrkdwn fields (two columns), each cut to Slack's 2,000."""
    return {
        "type": "section",
        "fields": [mrkdwn(clip(t, FIELD_TEXT_LIMIT)) for t in texts[:FIELDS_LIMIT]],
    }


def context(*texts: str) -> Block:
    """A context block (small grey text) of up to 10 mrkdwn elements."""
    return {
        "type": "context",
        "elements": [mrkdwn(clip(t, SECTION_TEXT)) for t in texts[:CONTEXT_ELEMENTS_LIMIT]],
    }


def header(text: str) -> Block:
    """A header (large plain text), cut to Slack's 150 characters."""
    return {"type": "header", "text": plain(text[:HEADER_TEXT_LIMIT])}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def sections(lines: Iterable[str], *, lines_per_section: int | None = None) -> list[Block]:
    """Lines packed into as few sections as the text limit (and `lines_per_section`) allow."""
    out: list[Block] = []
    chunk: list[str] = []
    size = -1  # length of "\n".join(chunk)
    for line in lines:
        full = lines_per_section is not None and len(chunk) >= lines_per_section
        if chunk and (full or size + 1 + len(line) > SECTION_TEXT):
            out.append(section("\n".join(chunk)))
            chunk, size = [], -1
        chunk.append(line)
        size += 1 + len(line)
    if chunk:
        out.append(section("\n".join(chunk)))
    return out


# ---------------------------------------------------------------------------- interactive


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button; its value (a request ID) is never cut, so one over Slack's limit is a bug."""
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button value of {len(value)} characters (Slack takes 2000)")
    element: Block = {
        "type": "button",
        "text": plain(label[:BUTTON_TEXT_LIMIT]),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> Block:
    """A row of buttons under a block ID (which must be unique in its message)."""
    if not 0 < len(block_id) <= BLOCK_ID_LIMIT:
        raise ValueError(f"block_id of {len(block_id)} characters (Slack takes 1 to 255)")
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def option(text: str, value: str) -> Block:
    """One choice of a select menu."""
    return {"text": plain(text[:OPTION_TEXT_LIMIT]), "value": value}
