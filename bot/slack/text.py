"""Making user-supplied text safe to show in Slack mrkdwn.

Slack gives `<`, `>` and `&` control meaning: `<!channel>`, `<@U123>`, `<http://x|y>`. Escaping
those three (as Slack's docs ask) turns any such sequence typed by a person into plain text, so a
reason can never ping a channel, mention a user or hide a link. Escaping is not enough on its
own: unless a text object is `verbatim`, Slack also links bare URLs, e-mail addresses and
`#channel` names and parses `@here` by itself, so every mrkdwn object the bot sends is made by
`mrkdwn()`, verbatim; the bot's own links and mentions are written as `<…>` controls, which
verbatim text still honours. Formatting (`*`, `_`, `~`, backticks, a leading `>`) in user text
is neutralised by `escape_inline`; IDs go in code spans, which nothing inside can break out of.
"""

from __future__ import annotations

from typing import Any

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Formatting characters that would otherwise change how the rest of a line renders.
_FORMATTING = {"*": "\u2217", "_": "\uff3f", "~": "\u223c", "`": "\u02cb"}
_QUOTE = "\uff1e"  # fullwidth >


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` so user text cannot mention, link or notify."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _flat(text: str) -> str:
    """Control characters (newlines included) as spaces: one line, so no line-start markup."""
    return "".join(" " if (ord(ch) < 32 or ord(ch) == 127) else ch for ch in text)


def escape_inline(text: str, *, limit: int = 500) -> str:
    """Escape, flatten newlines and control characters, and neutralise mrkdwn formatting."""
    cleaned = "".join(_FORMATTING.get(ch, ch) for ch in _flat(text)).strip()
    if cleaned.startswith(">"):
        # A quote marker where the caller starts a line; elsewhere `>` is plain once escaped.
        cleaned = _QUOTE + cleaned[1:]
    cleaned = escape(cleaned)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def mention(user_id: str) -> str:
    """A user mention for an ID we trust (from Slack's payload or our own database)."""
    if user_id[:1] not in ("U", "W") or not user_id.isalnum():
        return escape(user_id)
    return f"<@{user_id}>"


def code(text: str) -> str:
    """Inline code for IDs; backticks and line breaks inside would end the span, so they go."""
    return "`" + escape(_flat(text).replace("`", "'")) + "`"


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack shows as written: no automatic links or mentions."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}
