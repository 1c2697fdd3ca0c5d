"""The kit: every primitive keeps within Slack's limits, and what must not be cut is refused."""

from __future__ import annotations

import pytest
from block_inputs import limit_problems
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks import kit

LONG = "x" * 10_000


def test_texts_are_cut_to_what_slack_accepts() -> None:
    assert len(kit.section(LONG)["text"]["text"]) == kit.SECTION_TEXT <= kit.SECTION_TEXT_LIMIT
    assert len(kit.header(LONG)["text"]["text"]) == kit.HEADER_TEXT_LIMIT
    assert len(kit.button(LONG, "a", "1")["text"]["text"]) == kit.BUTTON_TEXT_LIMIT
    assert len(kit.option(LONG, "v")["text"]["text"]) == kit.OPTION_TEXT_LIMIT
    fields = kit.fields(*[LONG] * 30)["fields"]
    assert len(fields) == kit.FIELDS_LIMIT
    assert {len(f["text"]) for f in fields} == {kit.FIELD_TEXT_LIMIT}
    elements = kit.context(*[LONG] * 30)["elements"]
    assert len(elements) == kit.CONTEXT_ELEMENTS_LIMIT
    assert {len(e["text"]) for e in elements} == {kit.SECTION_TEXT}


@pytest.mark.parametrize("shift", range(12))
def test_a_cut_section_never_ends_inside_an_escape_or_a_slack_control(shift: int) -> None:
    text = "y" * (kit.SECTION_TEXT - 10 + shift) + "&amp; <@U0APPROVER1> &lt;" * 3
    cut = kit.section(text)["text"]["text"]
    assert len(cut) <= kit.SECTION_TEXT
    assert text.startswith(cut)
    assert cut.count("&") == cut.count(";") and cut.count("<") == cut.count(">")
    assert len(cut) >= kit.SECTION_TEXT - len("<@U0APPROVER1>")


def test_messages_and_views_hold_at_most_slacks_block_counts() -> None:
    many = [kit.divider()] * 500
    assert len(kit.message("t", many).blocks) == kit.MESSAGE_BLOCKS_LIMIT == 50
    assert len(kit.view_blocks(many)) == kit.VIEW_BLOCKS_LIMIT == 100


def test_every_mrkdwn_object_is_verbatim() -> None:
    made = [
        kit.section("a"),
        kit.fields("a", "b"),
        kit.context("a", "b"),
        *kit.sections(["a", "b"]),
        *kit.note("a").blocks,
    ]
    objects = [b["text"] for b in made if "text" in b]
    objects += [f for b in made for f in b.get("fields", []) + b.get("elements", [])]
    assert objects
    assert all(o == {"type": "mrkdwn", "text": o["text"], "verbatim": True} for o in objects)


def test_a_button_value_over_the_limit_is_a_bug_not_a_cut() -> None:
    # The value is a request ID: a cut one would name another request.
    assert kit.button("Approve", "a", "9" * kit.BUTTON_VALUE_LIMIT)["value"]
    with pytest.raises(ValueError, match="button value"):
        kit.button("Approve", "a", "9" * (kit.BUTTON_VALUE_LIMIT + 1))


@pytest.mark.parametrize("block_id", ["", "x" * (kit.BLOCK_ID_LIMIT + 1)])
def test_a_block_id_slack_would_refuse_is_refused(block_id: str) -> None:
    with pytest.raises(ValueError, match="block_id"):
        kit.actions(block_id, kit.button("a", "a", "1"))


def test_buttons_carry_their_style_only_when_given() -> None:
    assert "style" not in kit.button("a", "a", "1")
    assert kit.button("a", "a", "1", style="danger")["style"] == "danger"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":warning: Stuck: *eni-1* is stuck\nsecond line", "Stuck: eni-1 is stuck"),
        ("plain", "plain"),
        (":x:", ""),
        ("a " + "y" * 400, ("a " + "y" * 400)[: kit.FALLBACK_LIMIT]),
    ],
)
def test_the_notification_text_is_the_first_line_without_emoji_or_bold(
    text: str, expected: str
) -> None:
    assert kit.fallback(text) == expected
    assert kit.note(text).text == expected


lines = st.lists(st.text(alphabet="ab\n", max_size=400), max_size=60)


@given(lines=lines, per=st.none() | st.integers(min_value=1, max_value=30))
def test_sections_keep_every_line_in_order_within_the_limits(
    lines: list[str], per: int | None
) -> None:
    lines = [line.replace("\n", " ") or "-" for line in lines]
    packed = kit.sections(lines, lines_per_section=per)
    assert limit_problems(packed, max_blocks=10_000) == []
    assert "\n".join(s["text"]["text"] for s in packed) == "\n".join(lines)
    if per is not None:
        assert all(s["text"]["text"].count("\n") < per for s in packed)


def test_sections_fill_each_section_before_starting_the_next() -> None:
    line = "z" * 1000
    packed = kit.sections([line] * 5)
    # 1000 + 1 + 1000 fits in 2900; a third line does not.
    assert [s["text"]["text"].count("z") for s in packed] == [2000, 2000, 1000]
