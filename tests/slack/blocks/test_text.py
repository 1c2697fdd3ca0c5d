"""The pieces every sentence is made of: escaping, code spans, echoes, names, times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.slack.blocks.text import (
    channel,
    code,
    duration,
    escape,
    escape_inline,
    mention,
    shown,
    when,
    who,
)


def test_escape_makes_slack_controls_plain() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_escape_inline_is_one_line_without_formatting_and_cut() -> None:
    out = escape_inline("> *a*\n_b_ ~c~ `d`", limit=500)
    assert "\n" not in out and not out.startswith(">") and not out.startswith("&gt;")
    assert not any(mark in out for mark in "*_~`")


@pytest.mark.parametrize("typed", ["&" * 100, "<" * 100, "R&D " * 40, "a<b>c" * 30])
@pytest.mark.parametrize("limit", range(5, 20))
def test_a_cut_never_splits_an_escape(typed: str, limit: int) -> None:
    # "&amp;&am…" would show people a stray "&am"; the cut backs off to a whole character.
    out = escape_inline(typed, limit=limit)
    assert len(out) <= limit and out.endswith("…")
    body = out[:-1]
    assert body.count("&") == body.count(";")


@pytest.mark.parametrize(
    ("user", "expected"), [("U0ABC", "<@U0ABC>"), ("W0ABC", "<@W0ABC>"), ("x<y", "x&lt;y")]
)
def test_only_trusted_user_ids_become_mentions(user: str, expected: str) -> None:
    assert mention(user) == expected


def test_code_spans_cannot_be_broken_out_of() -> None:
    assert code("a`b\nc<d>") == "`a'b c&lt;d&gt;`"


def test_an_echoed_word_is_cut_to_forty_characters() -> None:
    assert shown("ok") == "`ok`"
    long = shown("`" + "x" * 100)
    assert long == "`'" + "x" * 38 + "…`"


@pytest.mark.parametrize(
    ("actor", "expected"), [("U0ABC", "<@U0ABC>"), ("system:poller", "the bot"), ("", "someone")]
)
def test_who_names_a_person_or_the_bot(actor: str, expected: str) -> None:
    assert who(actor) == expected


@pytest.mark.parametrize(
    ("channel_id", "expected"), [("C0OPS", "<#C0OPS>"), ("G0PRIV", "<#G0PRIV>"), ("D0DM", "DM")]
)
def test_channels_are_linked_and_dms_are_not(channel_id: str, expected: str) -> None:
    assert channel(channel_id) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.2, "1 s"), (40, "40 s"), (89, "89 s"), (400, "7 min"), (5399, "90 min"), (7200, "2 h")],
)
def test_durations_are_said_in_the_unit_a_person_would_use(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


def test_times_show_in_each_readers_zone_with_a_utc_fallback() -> None:
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert when(at) == (
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time_secs}}|2026-11-26 12:00 UTC>"
    )
