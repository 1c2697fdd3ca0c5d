"""Making user-supplied text safe to show in Slack mrkdwn.

Slack gives `<`, `>` and `&` control meaning: `<!channel>`, `<@U123>`, `<http://x|y>`. Escaping
those three (as Slack's docs ask) turns any such sequence typed by a person into plain text, so a
reason can never ping a channel, mention a user or hide a link.
"""

from __future__ import annotations

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Formatting characters that would otherwise change how the rest of a line renders.
_FORMATTING = {"*": "\u2217", "_": "\uff3f", "~": "\u223c", "`": "\u02cb"}


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` so user text cannot mention, link or notify."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def escape_inline(text: str, *, limit: int = 500) -> str:
    """Escape, flatten newlines and control characters, and neutralise mrkdwn formatting."""
    cleaned = "".join(
        " " if (ord(ch) < 32 or ord(ch) == 127) else _FORMATTING.get(ch, ch) for ch in text
    )
    cleaned = escape(cleaned.strip())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def mention(user_id: str) -> str:
    """A user mention for an ID we trust (from Slack's payload or our own database)."""
    if user_id[:1] not in ("U", "W") or not user_id.isalnum():
        return escape(user_id)
    return f"<@{user_id}>"


def code(text: str) -> str:
    """Inline code for IDs; backticks inside are replaced so the span cannot be broken out of."""
    return "`" + escape(text.replace("`", "'")) + "`"
