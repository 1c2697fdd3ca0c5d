"""Making text safe to show in Slack mrkdwn, and the small pieces every sentence is made of.

Slack gives `<`, `>` and `&` control meaning: `<!channel>`, `<@U123>`, `<http://x|y>`. Escaping
those three (as Slack's docs ask) turns any such sequence typed by a person into plain text, so a
reason can never ping a channel, mention a user or hide a link. Escaping is not enough on its
own: unless a text object is `verbatim`, Slack also links bare URLs, e-mail addresses and
`#channel` names and parses `@here` by itself, so every mrkdwn object the bot sends is made by
`kit.mrkdwn()`, verbatim; the bot's own links and mentions are written as `<…>` controls, which
verbatim text still honours. Formatting (`*`, `_`, `~`, backticks, a leading `>`) in user text
is neutralised by `escape_inline`; IDs go in code spans, which nothing inside can break out of.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "channel",
    "clip",
    "code",
    "duration",
    "escape",
    "escape_inline",
    "is_channel",
    "mention",
    "request_ref",
    "shown",
    "when",
    "who",
]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Formatting characters that would otherwise change how the rest of a line renders.
_FORMATTING = {"*": "\u2217", "_": "\uff3f", "~": "\u223c", "`": "\u02cb"}
_QUOTE = "\uff1e"  # fullwidth >
_SHOWN_LIMIT = 40


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
    return cleaned if len(cleaned) <= limit else clip(cleaned, limit - 1) + "…"


def clip(markup: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit` characters, never inside an escape or a `<…>` control.

    A cut through `&amp;` would show people a stray "&am", one through `<@U123>` a broken
    mention. Every `&` in escaped text starts an escape (or sits inside a control, which a `>`
    after it closes); every `<` starts a control.
    """
    if len(markup) <= limit:
        return markup
    cut = markup[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and ">" not in cut[amp:]:
        cut = cut[:amp]
    opened = cut.rfind("<")
    if opened != -1 and ">" not in cut[opened:]:
        cut = cut[:opened]
    return cut


def mention(user_id: str) -> str:
    """A user mention for an ID we trust (from Slack's payload or our own database)."""
    if user_id[:1] not in ("U", "W") or not user_id.isalnum():
        return escape(user_id)
    return f"<@{user_id}>"


def code(text: str) -> str:
    """Inline code for IDs; backticks and line breaks inside would end the span, so they go."""
    return "`" + escape(_flat(text).replace("`", "'")) + "`"


def shown(token: str) -> str:
    """A word someone typed, echoed back in a code span and cut short (it may be anything)."""
    token = token.replace("`", "'")
    cut = token if len(token) <= _SHOWN_LIMIT else token[: _SHOWN_LIMIT - 1] + "…"
    return code(cut)


def when(at: datetime) -> str:
    """A time every reader sees in their own time zone, with a UTC fallback."""
    epoch = int(at.timestamp())
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time_secs}}|{fallback}>"


def who(actor: str) -> str:
    """The person (a mention) or the bot behind an audit event or a thread reply."""
    if actor.startswith("system:"):
        return "the bot"
    if actor.startswith("policy:"):
        # An approval the governing rule gave by itself (auto_approve); the name is file text.
        return f"rule {escape_inline(actor.removeprefix('policy:'), limit=80)}"
    return mention(actor) if actor else "someone"


def channel(channel_id: str) -> str:
    """A channel as a link, or "DM" for a conversation that has no name to link."""
    return f"<#{channel_id}>" if is_channel(channel_id) else "DM"


def is_channel(channel_id: str) -> bool:
    """True for a public or private channel ID (one Slack can link as `<#C…>`)."""
    return channel_id[:1] in ("C", "G") and channel_id.isalnum()


def request_ref(request_id: int) -> str:
    """A request as people name it: `#42`."""
    return f"#{request_id}"


def duration(seconds: float) -> str:
    """ "40 s", "5 min", "2 h": how long, in the unit a person would say."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"
